package dev.llamagic.engine.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service JSON CreateService gets, read back as JSON, and what EAS would refuse refused before sending. */
class ServiceSpecTest {
    @TempDir
    Path dir;

    Path gguf() throws Exception {
        return Files.writeString(dir.resolve("Qwen3-4B-Q4_K_M.gguf"), "GGUF");
    }

    @Test
    void aGgufOnOssRunsLlamaServerFromTheMount() throws Exception {
        ServiceSpec s = ServiceSpec.builder("qwen3_q4", gguf()).oss("oss://my-bucket/models").gpu("a10").instances(2)
                .region("cn-shanghai").build();
        JsonNode j = new ObjectMapper().readTree(s.toJson());
        assertEquals("qwen3_q4", j.path("name").asText());
        assertEquals(2, j.path("metadata").path("instance").asInt());
        assertEquals("ecs.gn7i-c8g1.2xlarge", j.path("cloud").path("computing").path("instance_type").asText());
        JsonNode c = j.path("containers").get(0);
        assertEquals("registry.cn-shanghai.aliyuncs.com/llamagic/llama-server:cuda12", c.path("image").asText());
        assertEquals(8000, c.path("port").asInt());
        String script = c.path("script").asText();
        assertTrue(script.startsWith("llama-server -m /models/Qwen3-4B-Q4_K_M.gguf --host 0.0.0.0 --port 8000 -ngl 99"), script);
        assertTrue(script.contains(" -c 32768 --parallel 4 "), script);
        JsonNode mount = j.path("storage").get(0);
        assertEquals("oss://my-bucket/models/", mount.path("oss").path("path").asText());
        assertTrue(mount.path("oss").path("readOnly").asBoolean());
        assertEquals("/models", mount.path("mount_path").asText());
        assertTrue(j.path("autoscaler").isMissingNode(), "no autoscaler without a maximum");
        assertEquals("oss://my-bucket/models/Qwen3-4B-Q4_K_M.gguf", s.modelLocation());
        assertEquals(s.json(), new ObjectMapper().readValue(s.toJson(), Map.class), "the JSON and the map agree");
    }

    @Test
    void maxInstancesAddsAQpsAutoscalerAndNasMounts() throws Exception {
        ServiceSpec s = ServiceSpec.builder("svc", gguf()).nas("0a1b2c.cn-hangzhou.nas.aliyuncs.com:/models/q")
                .instances(1).maxInstances(4).qps(5.5).gpu("ecs.gn7i-c16g1.4xlarge").image("my/img:1").build();
        Map<String, Object> j = s.json();
        assertEquals(Map.of("min", 1, "max", 4, "scaleStrategies", List.of(Map.of("metricName", "qps", "threshold", 5.5))),
                j.get("autoscaler"));
        @SuppressWarnings("unchecked")
        Map<String, Object> mount = ((List<Map<String, Object>>) j.get("storage")).get(0);
        assertEquals(Map.of("server", "0a1b2c.cn-hangzhou.nas.aliyuncs.com", "path", "/models/q", "readOnly", true), mount.get("nfs"));
        assertEquals("ecs.gn7i-c16g1.4xlarge", s.instanceType());
        assertEquals("my/img:1", s.image());
        assertFalse(s.oss());
    }

    @Test
    void aHuggingFaceDirectoryRunsOnVllm() throws Exception {
        Path hf = Files.createDirectories(dir.resolve("Qwen3-4B"));
        Files.writeString(hf.resolve("config.json"), "{}");
        ServiceSpec s = ServiceSpec.builder("qwen3", hf).oss("oss://b-1/m/").region("cn-beijing").build();
        assertEquals(ServiceSpec.Engine.VLLM, s.engine());
        @SuppressWarnings("unchecked")
        Map<String, Object> c = ((List<Map<String, Object>>) s.json().get("containers")).get(0);
        assertEquals("eas-registry-vpc.cn-beijing.cr.aliyuncs.com/pai-eas/vllm:latest", c.get("image"));
        assertTrue(((String) c.get("script")).startsWith("vllm serve /models/Qwen3-4B --host 0.0.0.0 --port 8000"));
    }

    @Test
    void whatEasWouldRefuseIsOneLineBeforeAnythingIsSent() throws Exception {
        Path g = gguf();
        for (String bad : new String[] {"Qwen", "1abc", "with-dash", "", "a".repeat(65)}) {
            UserError e = assertThrows(UserError.class, () -> ServiceSpec.builder(bad, g).oss("oss://bb/m/").build());
            assertTrue(e.getMessage().contains("must start with a lower-case letter"), e.getMessage());
        }
        assertTrue(assertThrows(UserError.class, () -> ServiceSpec.builder("a", g).build()).hint().contains("eas-storage"));
        assertThrows(UserError.class, () -> ServiceSpec.builder("a", g).oss("oss://bb/").nas("h:/x").build());
        assertThrows(UserError.class, () -> ServiceSpec.builder("a", g).oss("s3://bb/").build());
        assertThrows(UserError.class, () -> ServiceSpec.builder("a", g).nas("no-colon").build());
        assertTrue(assertThrows(UserError.class, () -> ServiceSpec.builder("a", g).oss("oss://bb/").gpu("H800").build())
                .getMessage().startsWith("unknown GPU 'H800': A10, T4, V100"));
        assertThrows(UserError.class, () -> ServiceSpec.builder("a", g).oss("oss://bb/").instances(0).build());
        assertThrows(UserError.class, () -> ServiceSpec.builder("a", g).oss("oss://bb/").instances(3).maxInstances(2).build());
        assertThrows(UserError.class, () -> ServiceSpec.builder("a", g).oss("oss://bb/").qps(0).build());
        Path txt = Files.writeString(dir.resolve("model.bin"), "x");
        assertTrue(assertThrows(UserError.class, () -> ServiceSpec.builder("a", txt).oss("oss://bb/").build())
                .getMessage().startsWith("not a GGUF file or a Hugging Face directory"));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThrows(UserError.class, () -> ServiceSpec.builder("a", empty).oss("oss://bb/").build());
        assertThrows(UserError.class, () -> ServiceSpec.autoscaler(3, 2, 1));
    }

    @Test
    void thePolicyGrantsTheActionsAsked() throws Exception {
        JsonNode p = new ObjectMapper().readTree(RamPolicy.document(RamPolicy.DEPLOY));
        assertEquals("1", p.path("Version").asText());
        JsonNode st = p.path("Statement").get(0);
        assertEquals("Allow", st.path("Effect").asText());
        assertEquals("*", st.path("Resource").asText());
        assertEquals(List.of("eas:CreateService", "eas:DescribeService"),
                new ObjectMapper().convertValue(st.path("Action"), List.class));
        assertTrue(RamPolicy.ALL.containsAll(RamPolicy.DEPLOY));
        assertNull(ServiceSpec.GPUS.get("a10"), "GPU names are looked up upper-case");
    }
}
