package dev.llamagic.engine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the web UI opens: the local URL, or JupyterLab's proxy path on PAI-DSW. */
class WebUiTest {
    @TempDir
    Path tmp;

    @Test
    void outsideDswTheLocalUrl() {
        WebUi.Address a = WebUi.address(Map.of(), 8080, "http://127.0.0.1:8080");
        assertEquals("http://127.0.0.1:8080/", a.url());
        assertFalse(a.proxied());
    }

    @Test
    void onDswTheProxyPathUnderTheJupyterServersBaseUrl() throws Exception {
        Files.writeString(tmp.resolve("jpserver-4242.json"), "{\"base_url\": \"/dsw-12345/\", \"port\": 8888, \"token\": \"t\"}");
        Map<String, String> env = Map.of("DSW_INSTANCE_ID", "dsw-12345", "JPY_PARENT_PID", "4242",
                "JUPYTER_RUNTIME_DIR", tmp.toString());
        WebUi.Address a = WebUi.address(env, 8080, "http://127.0.0.1:8080");
        assertEquals("/dsw-12345/proxy/8080/", a.url());
        assertTrue(a.proxied());
        // no runtime file: the hub's prefix, else the root
        assertEquals("/user/ada/proxy/9/", WebUi.address(Map.of("DSW_INSTANCE_ID", "d", "JUPYTERHUB_SERVICE_PREFIX", "/user/ada"),
                9, "x").url());
        assertEquals("/proxy/9/", WebUi.address(Map.of("DSW_INSTANCE_ID", "d", "JPY_PARENT_PID", "1",
                "JUPYTER_RUNTIME_DIR", tmp.toString()), 9, "x").url());
        // elsewhere through JupyterLab when asked
        assertEquals("/dsw-12345/proxy/7/", WebUi.address(Map.of("LLAMAGIC_UI_PROXY", "1", "JPY_PARENT_PID", "4242",
                "JUPYTER_RUNTIME_DIR", tmp.toString()), 7, "x").url());
    }
}
