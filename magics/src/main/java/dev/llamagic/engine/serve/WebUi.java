package dev.llamagic.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * llama-server's chat web UI: whether a server has one, and the address that opens it from the notebook's browser.
 * On PAI-DSW the browser reaches the notebook machine only through JupyterLab, so the address is the Jupyter
 * server's proxy path ({@code <base_url>proxy/<port>/}, served by jupyter-server-proxy); elsewhere the server's own
 * URL. The Jupyter server's {@code base_url} is read from its runtime file ({@code jpserver-<pid>.json}, the pid
 * being the kernel's {@code JPY_PARENT_PID}), else from {@code JUPYTERHUB_SERVICE_PREFIX} or
 * {@code JUPYTER_BASE_URL}, else {@code /}.
 */
public final class WebUi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private WebUi() {}

    /**
     * Where the UI opens.
     *
     * @param url     the address to open (absolute, or a path on the notebook's own origin)
     * @param proxied whether it goes through the Jupyter server's proxy
     */
    public record Address(String url, boolean proxied) {}

    /** Whether the environment is a PAI-DSW instance. */
    public static boolean onDsw(Map<String, String> env) {
        return nonBlank(env.get("DSW_INSTANCE_ID")) || nonBlank(env.get("PAI_INSTANCE_ID"))
                || nonBlank(env.get("PAI_DSW_INSTANCE_ID"));
    }

    /** The address that opens {@code s}'s UI from the notebook's browser. */
    public static Address address(Map<String, String> env, LlamaServer s) {
        return address(env, s.port(), s.baseUrl());
    }

    /**
     * The address that opens the UI of the server on {@code port} (at {@code localUrl}, e.g.
     * {@code http://127.0.0.1:8080}): the proxy path on PAI-DSW, or wherever {@code LLAMAGIC_UI_PROXY=1} says the
     * browser comes through JupyterLab; else the local URL.
     */
    public static Address address(Map<String, String> env, int port, String localUrl) {
        if (onDsw(env) || "1".equals(env.get("LLAMAGIC_UI_PROXY"))) {
            return new Address(baseUrl(env) + "proxy/" + port + "/", true);
        }
        return new Address(localUrl + "/", false);
    }

    /** The Jupyter server's base URL, ending in {@code /}. */
    public static String baseUrl(Map<String, String> env) {
        String b = fromRuntimeFile(env);
        if (b == null) b = env.get("JUPYTERHUB_SERVICE_PREFIX");
        if (!nonBlank(b)) b = env.get("JUPYTER_BASE_URL");
        if (!nonBlank(b)) b = "/";
        if (!b.startsWith("/")) b = "/" + b;
        return b.endsWith("/") ? b : b + "/";
    }

    private static String fromRuntimeFile(Map<String, String> env) {
        String pid = env.get("JPY_PARENT_PID");
        if (!nonBlank(pid) || !pid.strip().matches("\\d+")) return null;
        Path dir;
        if (nonBlank(env.get("JUPYTER_RUNTIME_DIR"))) {
            dir = Path.of(env.get("JUPYTER_RUNTIME_DIR"));
        } else {
            String data = env.get("JUPYTER_DATA_DIR");
            if (!nonBlank(data)) {
                String xdg = env.get("XDG_DATA_HOME");
                String home = env.getOrDefault("HOME", System.getProperty("user.home"));
                data = (nonBlank(xdg) ? xdg : home + "/.local/share") + "/jupyter";
            }
            dir = Path.of(data, "runtime");
        }
        for (String name : new String[] {"jpserver-" + pid.strip() + ".json", "nbserver-" + pid.strip() + ".json"}) {
            Path f = dir.resolve(name);
            try {
                if (!Files.isRegularFile(f)) continue;
                JsonNode j = JSON.readTree(Files.readString(f));
                if (j.path("base_url").isTextual()) return j.get("base_url").asText();
            } catch (IOException | RuntimeException e) {
                // unreadable: try the next source
            }
        }
        return null;
    }

    /** Whether {@code s} serves a UI at {@code /} (builds without the UI's assets answer 404 there). */
    public static boolean served(LlamaServer s) {
        OkHttpClient http = new OkHttpClient.Builder().connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(10))
                .retryOnConnectionFailure(false).build();
        Request r = new Request.Builder().url(s.baseUrl() + "/").header("Accept-Encoding", "gzip").build();
        try (Response res = http.newCall(r).execute()) {
            return res.isSuccessful();
        } catch (IOException e) {
            return false;
        } finally {
            http.connectionPool().evictAll();
        }
    }

    private static boolean nonBlank(String s) {
        return s != null && !s.isBlank();
    }
}
