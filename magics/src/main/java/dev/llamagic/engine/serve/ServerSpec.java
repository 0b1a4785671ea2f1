package dev.llamagic.engine.serve;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How to run one llama-server: an immutable value built with {@link #builder(Path)}. Null means "the
 * binary's default" (port null = a free port chosen at launch). {@link ServerFlags#argv} turns it into the
 * command line the installed binary accepts.
 */
public final class ServerSpec {
    public static final String DEFAULT_HOST = "127.0.0.1";

    private final Path modelPath;
    private final String name;
    private final String alias;
    private final String host;
    private final Integer port;
    private final Integer ctx;
    private final String ngl;
    private final String flashAttention;
    private final String splitMode;
    private final Integer parallel;
    private final Double temperature;
    private final Integer topK;
    private final Double topP;
    private final Double minP;
    private final String reasoningFormat;
    private final String preset;
    private final String apiKey;
    private final List<String> extraFlags;
    private final List<Path> routerModels;
    private final Integer ttl;
    private final Boolean fit;
    private final String gpus;
    private final String tensorSplit;
    private final String cacheTypeK;
    private final String cacheTypeV;
    private final Path draftModel;
    private final Integer draftMax;
    private final Path mmproj;

    private ServerSpec(Builder b) {
        this.modelPath = Objects.requireNonNull(b.modelPath, "modelPath");
        this.routerModels = List.copyOf(b.routerModels);
        this.ttl = b.ttl;
        this.name = b.name;
        this.alias = b.alias;
        this.host = b.host == null ? DEFAULT_HOST : b.host;
        this.port = b.port;
        this.ctx = b.ctx;
        this.ngl = b.ngl;
        this.flashAttention = b.flashAttention;
        this.splitMode = b.splitMode;
        this.parallel = b.parallel;
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.minP = b.minP;
        this.reasoningFormat = b.reasoningFormat;
        this.preset = b.preset;
        this.apiKey = b.apiKey;
        this.extraFlags = List.copyOf(b.extraFlags);
        this.fit = b.fit;
        this.gpus = b.gpus;
        this.tensorSplit = b.tensorSplit;
        this.cacheTypeK = b.cacheTypeK;
        this.cacheTypeV = b.cacheTypeV;
        this.draftModel = b.draftModel;
        this.draftMax = b.draftMax;
        this.mmproj = b.mmproj;
    }

    public static Builder builder(Path modelPath) {
        return new Builder().modelPath(modelPath);
    }

    /**
     * A router: one llama-server serving several models at one URL, each loaded on its first request (chosen by
     * the request's {@code model}: the file name without {@code .gguf}). {@code models}: one directory of GGUFs
     * (llama-server's models directory: a sub-directory per split or multimodal model), or several {@code .gguf}
     * files.
     */
    public static Builder router(List<Path> models) {
        if (models == null || models.isEmpty()) throw new IllegalArgumentException("a router needs models");
        Builder b = new Builder().modelPath(models.get(0));
        b.routerModels = new ArrayList<>(models);
        return b;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelPath = modelPath;
        b.name = name;
        b.alias = alias;
        b.host = host;
        b.port = port;
        b.ctx = ctx;
        b.ngl = ngl;
        b.flashAttention = flashAttention;
        b.splitMode = splitMode;
        b.parallel = parallel;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.reasoningFormat = reasoningFormat;
        b.preset = preset;
        b.apiKey = apiKey;
        b.extraFlags = new ArrayList<>(extraFlags);
        b.routerModels = new ArrayList<>(routerModels);
        b.ttl = ttl;
        b.fit = fit;
        b.gpus = gpus;
        b.tensorSplit = tensorSplit;
        b.cacheTypeK = cacheTypeK;
        b.cacheTypeV = cacheTypeV;
        b.draftModel = draftModel;
        b.draftMax = draftMax;
        b.mmproj = mmproj;
        return b;
    }

    public Path modelPath() { return modelPath; }
    /** The server's name in the registry (null: derived from the alias or the model file). */
    public String name() { return name; }
    public String alias() { return alias; }
    public String host() { return host; }
    /** The port, or null for a free one chosen at launch. */
    public Integer port() { return port; }
    public Integer ctx() { return ctx; }
    /** GPU layers: a number, {@code all} or {@code auto}. */
    public String ngl() { return ngl; }
    /** Flash attention: {@code on}, {@code off} or {@code auto}. */
    public String flashAttention() { return flashAttention; }
    public String splitMode() { return splitMode; }
    public Integer parallel() { return parallel; }
    public Double temperature() { return temperature; }
    public Integer topK() { return topK; }
    public Double topP() { return topP; }
    public Double minP() { return minP; }
    public String reasoningFormat() { return reasoningFormat; }
    public String preset() { return preset; }
    public String apiKey() { return apiKey; }
    /** Raw llama-server flags passed through after {@code --} (checked against the binary's help). */
    public List<String> extraFlags() { return extraFlags; }
    /** Whether this is a router (several models, see {@link #router(List)}). */
    public boolean router() { return !routerModels.isEmpty(); }
    /** A router's models: one directory, or {@code .gguf} files; empty for one model. */
    public List<Path> routerModels() { return routerModels; }
    /** Seconds a model may stay idle before it is unloaded (it loads again on the next request); null: never. */
    public Integer ttl() { return ttl; }

    /** Whether to fit context and GPU layers to free memory (llama.cpp's own -fit where the binary has it). */
    public Boolean fit() { return fit; }
    /** GPUs the server may see, as nvidia-smi numbers them ({@code 0,1}): CUDA_VISIBLE_DEVICES of the child. */
    public String gpus() { return gpus; }
    /** Proportions of the model per GPU ({@code 3,1}); null: proportional to free memory on several GPUs. */
    public String tensorSplit() { return tensorSplit; }
    /** KV cache type of K ({@code f16}, {@code q8_0}, ...). */
    public String cacheTypeK() { return cacheTypeK; }
    /** KV cache type of V (a quantized one needs flash attention). */
    public String cacheTypeV() { return cacheTypeV; }
    /** Draft model for speculative decoding. */
    public Path draftModel() { return draftModel; }
    /** Tokens drafted per step. */
    public Integer draftMax() { return draftMax; }
    /** Multimodal projector GGUF. */
    public Path mmproj() { return mmproj; }

    /** Whether the server listens on loopback only. */
    public boolean loopback() {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
    }

    @Override
    public String toString() {
        return "ServerSpec{model=" + modelPath + ", name=" + name + ", host=" + host + ", port=" + port + ", ctx=" + ctx
                + ", ngl=" + ngl + ", fa=" + flashAttention + ", preset=" + preset + ", extra=" + extraFlags + "}";
    }

    /** Builder: every setter accepts null for "not set". */
    public static final class Builder {
        private Path modelPath;
        private String name;
        private String alias;
        private String host;
        private Integer port;
        private Integer ctx;
        private String ngl;
        private String flashAttention;
        private String splitMode;
        private Integer parallel;
        private Double temperature;
        private Integer topK;
        private Double topP;
        private Double minP;
        private String reasoningFormat;
        private String preset;
        private String apiKey;
        private List<String> extraFlags = new ArrayList<>();
        private List<Path> routerModels = new ArrayList<>();
        private Integer ttl;
        private Boolean fit;
        private String gpus;
        private String tensorSplit;
        private String cacheTypeK;
        private String cacheTypeV;
        private Path draftModel;
        private Integer draftMax;
        private Path mmproj;

        private Builder() {}

        public Builder modelPath(Path v) { modelPath = v; return this; }
        public Builder name(String v) { name = v; return this; }
        public Builder alias(String v) { alias = v; return this; }
        public Builder host(String v) { host = v; return this; }
        public Builder port(Integer v) { port = v; return this; }
        public Builder ctx(Integer v) { ctx = v; return this; }
        public Builder ngl(String v) { ngl = v; return this; }
        public Builder flashAttention(String v) { flashAttention = v; return this; }
        public Builder splitMode(String v) { splitMode = v; return this; }
        public Builder parallel(Integer v) { parallel = v; return this; }
        public Builder temperature(Double v) { temperature = v; return this; }
        public Builder topK(Integer v) { topK = v; return this; }
        public Builder topP(Double v) { topP = v; return this; }
        public Builder minP(Double v) { minP = v; return this; }
        public Builder reasoningFormat(String v) { reasoningFormat = v; return this; }
        public Builder preset(String v) { preset = v; return this; }
        public Builder apiKey(String v) { apiKey = v; return this; }
        /** A router's models (see {@link ServerSpec#router(List)}); empty: one model. */
        public Builder routerModels(List<Path> v) { routerModels = v == null ? new ArrayList<>() : new ArrayList<>(v); return this; }
        /** Seconds idle before the model is unloaded (null: never); for a router, each model's own. */
        public Builder ttl(Integer v) { ttl = v; return this; }
        public Builder extraFlags(List<String> v) { extraFlags = v == null ? new ArrayList<>() : new ArrayList<>(v); return this; }

        public Builder fit(Boolean v) { fit = v; return this; }
        public Builder gpus(String v) { gpus = v; return this; }
        public Builder tensorSplit(String v) { tensorSplit = v; return this; }
        public Builder cacheTypeK(String v) { cacheTypeK = v; return this; }
        public Builder cacheTypeV(String v) { cacheTypeV = v; return this; }
        /** Both KV cache types at once. */
        public Builder cacheType(String k, String v) { cacheTypeK = k; cacheTypeV = v; return this; }
        public Builder draftModel(Path v) { draftModel = v; return this; }
        public Builder draftMax(Integer v) { draftMax = v; return this; }
        public Builder mmproj(Path v) { mmproj = v; return this; }
        public Path mmproj() { return mmproj; }
        public Boolean fit() { return fit; }
        public String gpus() { return gpus; }
        public String tensorSplit() { return tensorSplit; }
        public String cacheTypeK() { return cacheTypeK; }
        public String cacheTypeV() { return cacheTypeV; }
        public String splitMode() { return splitMode; }
        public Integer parallel() { return parallel; }
        public Path modelPath() { return modelPath; }
        public Integer ctx() { return ctx; }
        public String ngl() { return ngl; }
        public String flashAttention() { return flashAttention; }
        public Double temperature() { return temperature; }
        public Integer topK() { return topK; }
        public Double topP() { return topP; }
        public Double minP() { return minP; }
        public String reasoningFormat() { return reasoningFormat; }

        public ServerSpec build() {
            if (ttl != null && ttl <= 0) throw new IllegalArgumentException("ttl must be a positive number of seconds");
            return new ServerSpec(this);
        }
    }
}
