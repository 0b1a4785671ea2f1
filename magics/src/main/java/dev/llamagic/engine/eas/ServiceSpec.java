package dev.llamagic.engine.eas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The service JSON of an EAS deployment (what CreateService takes as its body), built from a model on disk:
 * <ul>
 * <li>a GGUF file runs on llama-server in our custom image ({@code deploy/eas/Dockerfile}: llama.cpp with CUDA),
 *     {@code llama-server -m /models/FILE --host 0.0.0.0 --port 8000 -ngl 99 ...};</li>
 * <li>a Hugging Face directory (config.json) runs on EAS's vLLM image, {@code vllm serve /models/DIR ...}.</li>
 * </ul>
 * The model is not uploaded: it is mounted at {@code /models} from OSS ({@code {"oss":{"path":"oss://b/p/",
 * "readOnly":true},"mount_path":"/models"}}) or NAS ({@code {"nfs":{"server","path","readOnly"},"mount_path"}}),
 * where the user put it. The GPU is an instance type of the public resource group
 * ({@code {"cloud":{"computing":{"instance_type":"ecs.gn7i-c8g1.2xlarge"}}}}); {@code maxInstances} adds an
 * {@code autoscaler} on QPS per instance.
 *
 * <pre>{@code ServiceSpec.builder("qwen3_q4", Path.of("/mnt/workspace/Qwen3-4B-Q4_K_M.gguf"))
 *     .oss("oss://my-bucket/models/").gpu("A10").instances(1).maxInstances(4).build().toJson()}</pre>
 */
public final class ServiceSpec {
    /** Our llama-server image when none is given (build deploy/eas/Dockerfile and push it to your registry). */
    public static final String DEFAULT_LLAMA_IMAGE = "registry.%s.aliyuncs.com/llamagic/llama-server:cuda12";
    /** EAS's vLLM image (check the console's image list for the current tag). */
    public static final String DEFAULT_VLLM_IMAGE = "eas-registry-vpc.%s.cr.aliyuncs.com/pai-eas/vllm:latest";
    public static final String MOUNT = "/models";
    public static final int PORT = 8000;

    /** GPU names to public-resource-group instance types, one GPU each. */
    static final Map<String, String> GPUS = new LinkedHashMap<>();

    static {
        GPUS.put("A10", "ecs.gn7i-c8g1.2xlarge");   // 1 × A10 24 GB, 8 vCPU, 30 GiB
        GPUS.put("T4", "ecs.gn6i-c4g1.xlarge");     // 1 × T4 16 GB, 4 vCPU, 15 GiB
        GPUS.put("V100", "ecs.gn6v-c8g1.2xlarge");  // 1 × V100 16 GB, 8 vCPU, 32 GiB
    }

    public enum Engine { LLAMA_SERVER, VLLM }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String name;
    private final Path model;
    private final Engine engine;
    private final String instanceType;
    private final int instances;
    private final Integer maxInstances;
    private final double qps;
    private final String storageKind;
    private final String storagePath;
    private final String nasServer;
    private final String image;
    private final int contextSize;
    private final int parallel;
    private final Map<String, Object> json;

    private ServiceSpec(Builder b) {
        name = checkName(b.name);
        if (b.model == null) throw new UserError("no model given");
        model = b.model;
        engine = Files.isDirectory(model) ? Engine.VLLM : Engine.LLAMA_SERVER;
        if (engine == Engine.LLAMA_SERVER && !model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            throw new UserError("not a GGUF file or a Hugging Face directory: " + model);
        }
        if (engine == Engine.VLLM && !Files.isRegularFile(model.resolve("config.json"))) {
            throw new UserError("a directory to deploy needs the Hugging Face layout (config.json): " + model);
        }
        instanceType = instanceType(b.gpu);
        if (b.instances < 1 || b.instances > 100) throw new UserError("instances must be between 1 and 100, not " + b.instances);
        instances = b.instances;
        if (b.maxInstances != null && (b.maxInstances < instances || b.maxInstances > 100)) {
            throw new UserError("max instances must be between " + instances + " (the instances) and 100, not " + b.maxInstances);
        }
        maxInstances = b.maxInstances;
        if (!(b.qps > 0) || b.qps > 100_000) throw new UserError("QPS per instance must be above 0, not " + b.qps);
        qps = b.qps;
        if ((b.oss == null) == (b.nas == null)) {
            throw new UserError("say where the model is stored for the service: OSS (oss://bucket/dir/) or NAS (server:/dir), one of them")
                    .hint("eas-storage");
        }
        if (b.oss != null) {
            if (!b.oss.matches("oss://[a-z0-9][a-z0-9-]{1,61}[a-z0-9](/[^\\s]*)?")) {
                throw new UserError("not an OSS directory: " + b.oss + " (oss://bucket/dir/)");
            }
            storageKind = "oss";
            storagePath = b.oss.endsWith("/") ? b.oss : b.oss + "/";
            nasServer = null;
        } else {
            int colon = b.nas.indexOf(":/");
            if (colon <= 0 || b.nas.contains(" ")) throw new UserError("not a NAS mount: " + b.nas + " (server.nas.aliyuncs.com:/dir)");
            storageKind = "nfs";
            nasServer = b.nas.substring(0, colon);
            storagePath = b.nas.substring(colon + 1);
        }
        String region = b.region == null ? "cn-hangzhou" : b.region;
        image = b.image != null && !b.image.isBlank() ? b.image.trim()
                : String.format(engine == Engine.VLLM ? DEFAULT_VLLM_IMAGE : DEFAULT_LLAMA_IMAGE, region);
        if (b.contextSize < 512) throw new UserError("context size must be at least 512, not " + b.contextSize);
        contextSize = b.contextSize;
        if (b.parallel < 1 || b.parallel > 64) throw new UserError("parallel slots must be between 1 and 64, not " + b.parallel);
        parallel = b.parallel;
        json = build();
    }

    /** EAS service names: a lower-case letter first, then lower-case letters, digits and '_', at most 64. */
    public static String checkName(String name) {
        if (name == null || !name.matches("[a-z][a-z0-9_]{0,63}")) {
            throw new UserError("service name '" + name + "' must start with a lower-case letter and have only"
                    + " lower-case letters, digits and '_' (at most 64)");
        }
        return name;
    }

    /** {@code A10} → its instance type; an {@code ecs.*} type as it is. */
    static String instanceType(String gpu) {
        String g = gpu == null || gpu.isBlank() ? "A10" : gpu.trim();
        if (g.startsWith("ecs.")) return g;
        String t = GPUS.get(g.toUpperCase(Locale.ROOT));
        if (t == null) {
            throw new UserError("unknown GPU '" + g + "': " + String.join(", ", GPUS.keySet())
                    + ", or an EAS instance type (ecs.gn7i-c8g1.2xlarge)");
        }
        return t;
    }

    /** The autoscaler body: scale on QPS per instance between {@code min} and {@code max} instances. */
    public static Map<String, Object> autoscaler(int min, int max, double qps) {
        if (min < 1 || max < min || max > 100) throw new UserError("autoscaling needs 1 ≤ min ≤ max ≤ 100, not " + min + ".." + max);
        if (!(qps > 0)) throw new UserError("QPS per instance must be above 0, not " + qps);
        Map<String, Object> strategy = new LinkedHashMap<>();
        strategy.put("metricName", "qps");
        strategy.put("threshold", qps);
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("min", min);
        a.put("max", max);
        a.put("scaleStrategies", List.of(strategy));
        return a;
    }

    private Map<String, Object> build() {
        String file = model.getFileName().toString();
        String script = engine == Engine.VLLM
                ? "vllm serve " + MOUNT + "/" + file + " --host 0.0.0.0 --port " + PORT + " --served-model-name " + name
                        + " --max-model-len " + contextSize
                : "llama-server -m " + MOUNT + "/" + file + " --host 0.0.0.0 --port " + PORT + " -ngl 99 -fa on"
                        + " -c " + contextSize * parallel + " --parallel " + parallel + " --jinja --metrics --alias " + name;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("instance", instances);
        m.put("metadata", metadata);
        m.put("cloud", Map.of("computing", Map.of("instance_type", instanceType)));
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("image", image);
        container.put("script", script);
        container.put("port", PORT);
        m.put("containers", List.of(container));
        Map<String, Object> source = new LinkedHashMap<>();
        if (nasServer != null) source.put("server", nasServer);
        source.put("path", storagePath);
        source.put("readOnly", true);
        Map<String, Object> mount = new LinkedHashMap<>();
        mount.put(storageKind, source);
        mount.put("mount_path", MOUNT);
        m.put("storage", List.of(mount));
        if (maxInstances != null) m.put("autoscaler", autoscaler(instances, maxInstances, qps));
        return m;
    }

    public String name() { return name; }
    public Path model() { return model; }
    public Engine engine() { return engine; }
    public String instanceType() { return instanceType; }
    public int instances() { return instances; }
    public Integer maxInstances() { return maxInstances; }
    public String image() { return image; }
    /** Where the model must be: oss://bucket/dir/FILE or server:/dir/FILE. */
    public String modelLocation() {
        return (nasServer != null ? nasServer + ":" : "") + storagePath + model.getFileName();
    }
    public boolean oss() { return nasServer == null; }

    /** The service JSON as maps and lists (a copy). */
    public Map<String, Object> json() {
        return deepCopy(json);
    }

    /** The service JSON, indented. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (v instanceof Map<?, ?> sub) out.put(k, deepCopy((Map<String, Object>) sub));
            else if (v instanceof List<?> l) {
                List<Object> copy = new ArrayList<>();
                for (Object e : l) copy.add(e instanceof Map<?, ?> em ? deepCopy((Map<String, Object>) em) : e);
                out.put(k, copy);
            } else out.put(k, v);
        });
        return out;
    }

    public static Builder builder(String name, Path model) {
        return new Builder(name, model);
    }

    public static final class Builder {
        private final String name;
        private final Path model;
        private String gpu;
        private int instances = 1;
        private Integer maxInstances;
        private double qps = 10;
        private String oss;
        private String nas;
        private String image;
        private String region;
        private int contextSize = 8192;
        private int parallel = 4;

        private Builder(String name, Path model) {
            this.name = name;
            this.model = model;
        }

        /** A10, T4, V100, or an EAS instance type (ecs.*); default A10. */
        public Builder gpu(String v) { gpu = v; return this; }
        public Builder instances(int v) { instances = v; return this; }
        /** Adds an autoscaler between {@code instances} and this many, on {@link #qps} per instance. */
        public Builder maxInstances(Integer v) { maxInstances = v; return this; }
        public Builder qps(double v) { qps = v; return this; }
        /** The OSS directory holding the model: oss://bucket/dir/. */
        public Builder oss(String v) { oss = v; return this; }
        /** The NAS directory holding the model: server.nas.aliyuncs.com:/dir. */
        public Builder nas(String v) { nas = v; return this; }
        public Builder image(String v) { image = v; return this; }
        /** For the default image's registry address. */
        public Builder region(String v) { region = v; return this; }
        /** Context per request (llama-server gets this × parallel). */
        public Builder contextSize(int v) { contextSize = v; return this; }
        public Builder parallel(int v) { parallel = v; return this; }

        /** One-line {@link UserError} for anything EAS would refuse. */
        public ServiceSpec build() {
            return new ServiceSpec(this);
        }
    }
}
