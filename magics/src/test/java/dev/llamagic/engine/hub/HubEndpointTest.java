package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

class HubEndpointTest {
    @Test
    void defaultIsTheChineseSite() {
        assertEquals("https://www.modelscope.cn/", HubEndpoint.resolve(null, Map.of()).toString());
    }

    @Test
    void endpointBeatsDomainAndMayBeHttp() {
        Map<String, String> env = Map.of("MODELSCOPE_ENDPOINT", "http://127.0.0.1:8080/", "MODELSCOPE_DOMAIN", "www.modelscope.ai");
        HttpUrl u = HubEndpoint.resolve(null, env);
        assertEquals("http", u.scheme());
        assertEquals(8080, u.port());
    }

    @Test
    void domainIsABareHostWithHttpsPrepended() {
        HttpUrl u = HubEndpoint.resolve(null, Map.of("MODELSCOPE_DOMAIN", "www.modelscope.ai"));
        assertEquals("https://www.modelscope.ai/", u.toString());
        HttpUrl withPort = HubEndpoint.resolve(null, Map.of("MODELSCOPE_DOMAIN", "127.0.0.1:9"));
        assertEquals("https", withPort.scheme());
        assertEquals(9, withPort.port());
        // tolerant: a scheme already there is kept
        assertEquals("http", HubEndpoint.resolve(null, Map.of("MODELSCOPE_DOMAIN", "http://h:1")).scheme());
    }

    @Test
    void explicitFlagBeatsEverything() {
        HttpUrl u = HubEndpoint.resolve("modelscope.ai", Map.of("MODELSCOPE_ENDPOINT", "http://x:1"));
        assertEquals("https://modelscope.ai/", u.toString());
        assertThrows(IllegalArgumentException.class, () -> HubEndpoint.resolve("http://", Map.of()));
    }

    @Test
    void accelerationSwitches() {
        OkHttpClient http = new OkHttpClient();
        HttpUrl nowhere = HttpUrl.parse("http://127.0.0.1:9");
        assertNull(HubEndpoint.region(nowhere, Map.of("INTRA_CLOUD_ACCELERATION", "False", "INTRA_CLOUD_ACCELERATION_REGION", "cn-x"), http));
        assertEquals("cn-x", HubEndpoint.region(nowhere, Map.of("INTRA_CLOUD_ACCELERATION_REGION", "cn-x"), http));
        long t0 = System.nanoTime();
        assertNull(HubEndpoint.region(nowhere, Map.of(), http), "a failed probe is no region");
        assertTrue((System.nanoTime() - t0) / 1e9 < 2, "the probe is bounded");
    }
}
