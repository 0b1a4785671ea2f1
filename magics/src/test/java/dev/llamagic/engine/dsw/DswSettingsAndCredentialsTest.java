package dev.llamagic.engine.dsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.UserError;
import dev.llamagic.engine.aliyun.AliyunCredentials;
import dev.llamagic.engine.aliyun.AliyunCredentialsUriTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DswSettingsAndCredentialsTest {

    @Test
    void settingsFromTheEnvironmentDswSets() {
        DswSettings s = DswSettings.fromEnv(Map.of("DSW_INSTANCE_ID", "dsw-1", "REGION", "cn-hangzhou",
                "PAI_AI_WORKSPACE_ID", "42"));
        assertEquals("dsw-1", s.instanceId());
        assertEquals("cn-hangzhou", s.region());
        assertEquals("42", s.workspaceId());
        assertEquals("pai-dsw.cn-hangzhou.aliyuncs.com", s.endpoint());
        assertEquals("HTTPS", s.protocol());
        assertEquals("cn-beijing", DswSettings.fromEnv(Map.of("dsw_region", "cn-beijing")).region());
    }

    @Test
    void optionsWinAndVpcEndpoint() {
        DswSettings s = DswSettings.resolve(Map.of("DSW_INSTANCE_ID", "dsw-1", "REGION", "cn-hangzhou"),
                "dsw-2", "cn-shanghai", null, null, null, true);
        assertEquals("dsw-2", s.instanceId());
        assertEquals("pai-dsw-vpc.cn-shanghai.aliyuncs.com", s.endpoint());
        DswSettings local = DswSettings.resolve(Map.of(), null, null, null, "127.0.0.1:8080", "http", false);
        assertEquals("127.0.0.1:8080", local.endpoint());
        assertEquals("HTTP", local.protocol());
        assertNull(local.region());
        assertThrows(IllegalArgumentException.class,
                () -> DswSettings.resolve(Map.of(), null, null, null, null, "ftp", false));
        assertNull(DswSettings.fromEnv(Map.of()).endpoint());
    }

    @Test
    void environmentAccessKeyIsFound() {
        Map<String, String> env = new java.util.HashMap<>(AliyunCredentialsUriTest.NOTHING);
        env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIexample");
        env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cr3t-value");
        AliyunCredentials c = AliyunCredentials.find(env, null);
        assertEquals("env ALIBABA_CLOUD_ACCESS_KEY_ID", c.source());
    }

    @Test
    void nothingFoundListsEverySourceTriedWithoutNetwork() {
        long t0 = System.nanoTime();
        AliyunCredentials.NoCredentials e = assertThrows(AliyunCredentials.NoCredentials.class, () -> AliyunCredentials.find(AliyunCredentialsUriTest.NOTHING, null));
        String m = e.getMessage();
        assertTrue(m.startsWith("no Alibaba Cloud credentials found: "), m);
        assertTrue(m.length() < 220, "one short line: " + m);
        String tried = String.join("\n", e.tried());
        for (String source : new String[] {"system properties", "env ALIBABA_CLOUD_ACCESS_KEY_ID: not set", "OIDC",
                ".aliyun/config.json: disabled", "/nonexistent/llamagic-test/credentials: no such file",
                "ALIBABA_CLOUD_CREDENTIALS_URI: not set", "ECS RAM role (metadata service): disabled"}) {
            assertTrue(tried.contains(source), source + " in " + tried);
        }
        assertFalse(m.contains("\n"));
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "no network source was waited on");
    }

    @Test
    void halfAnAccessKeyIsSaidSo() {
        Map<String, String> env = new java.util.HashMap<>(AliyunCredentialsUriTest.NOTHING);
        env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIexample");
        UserError e = assertThrows(UserError.class, () -> AliyunCredentials.find(env, null));
        assertTrue(e.getMessage().contains("set without ALIBABA_CLOUD_ACCESS_KEY_SECRET"), e.getMessage());
    }

    @Test
    void redactionCutsServerAnswers() {
        assertEquals("Error retrieving credentials from credentialsURI", AliyunCredentials.redact(
                "Error retrieving credentials from credentialsURI result: {\"AccessKeySecret\":\"abc\"}."));
        assertEquals("failed", AliyunCredentials.redact(null));
        assertTrue(AliyunCredentials.redact("x".repeat(500)).length() <= 120);
    }
}
