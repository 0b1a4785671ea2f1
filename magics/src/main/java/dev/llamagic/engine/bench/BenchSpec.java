package dev.llamagic.engine.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * What one benchmark measures and how: a running llama-server and a {@link Workload}. An immutable value built
 * with {@link #builder(String)}:
 * {@code BenchRunner.run(ctx, BenchSpec.builder("http://127.0.0.1:8080").quick().build())}.
 */
public final class BenchSpec {
    private final String baseUrl;
    private final String apiKey;
    private final String authorization;
    private final String server;
    private final Path modelFile;
    private final Long pid;
    private final int slots;
    private final Workload workload;

    private BenchSpec(Builder b) {
        String url = b.baseUrl == null ? "" : b.baseUrl.trim();
        if (url.isBlank()) throw new IllegalArgumentException("a benchmark needs the server's URL");
        while (url.endsWith("/")) url = url.substring(0, url.length() - 1);
        this.baseUrl = url;
        this.apiKey = b.apiKey == null || b.apiKey.isBlank() ? null : b.apiKey;
        this.authorization = b.authorization == null || b.authorization.isBlank() ? null : b.authorization;
        this.server = b.server;
        this.modelFile = b.modelFile;
        this.pid = b.pid;
        this.slots = b.slots;
        this.workload = b.workload.with(b.prompts, b.gen, b.concurrency, b.repetitions);
    }

    /** A benchmark of the llama-server at {@code baseUrl} ({@code http://127.0.0.1:8080}), standard workload. */
    public static Builder builder(String baseUrl) {
        return new Builder().url(baseUrl);
    }

    public Builder toBuilder() {
        return new Builder().url(baseUrl).apiKey(apiKey).authorization(authorization).server(server).modelFile(modelFile).pid(pid).slots(slots)
                .workload(workload);
    }

    /** The server's URL, without a trailing slash. */
    public String baseUrl() { return baseUrl; }
    /** Sent as {@code Authorization: Bearer}; null when the server has none. */
    public String apiKey() { return apiKey; }
    /** The whole {@code Authorization} header instead of the API key (a PAI-EAS token); null for none. Never shown. */
    public String authorization() { return authorization; }
    /** The server's name where it has one (a server llamagic started); null otherwise. */
    public String server() { return server; }
    /** The GGUF it serves, for the model's name and bytes; null: {@code /props}' {@code model_path} is used. */
    public Path modelFile() { return modelFile; }
    /** The server's process, null when unknown. */
    public Long pid() { return pid; }
    /** Parallel slots; ≤ 0 = ask the server ({@code /props} {@code total_slots}). */
    public int slots() { return slots; }
    public Workload workload() { return workload; }

    public static final class Builder {
        private String baseUrl;
        private String apiKey;
        private String authorization;
        private String server;
        private Path modelFile;
        private Long pid;
        private int slots;
        private Workload workload = Workload.standard();
        private List<Integer> prompts;
        private List<Integer> gen;
        private List<Integer> concurrency;
        private Integer repetitions;

        private Builder() {}

        public Builder url(String v) { baseUrl = v; return this; }
        public Builder apiKey(String v) { apiKey = v; return this; }
        public Builder authorization(String v) { authorization = v; return this; }
        public Builder server(String v) { server = v; return this; }
        public Builder modelFile(Path v) { modelFile = v; return this; }
        public Builder pid(Long v) { pid = v; return this; }
        public Builder slots(int v) { slots = v; return this; }
        /** The workload the overrides below start from (default {@link Workload#standard()}). */
        public Builder workload(Workload v) { workload = v == null ? Workload.standard() : v; return this; }
        /** {@link Workload#quick()}: for CPUs and smoke tests. */
        public Builder quick() { return workload(Workload.quick()); }
        public Builder prompts(List<Integer> v) { prompts = v; return this; }
        public Builder gen(List<Integer> v) { gen = v; return this; }
        public Builder concurrency(List<Integer> v) { concurrency = v; return this; }
        public Builder repetitions(Integer v) { repetitions = v; return this; }

        public String apiKey() { return apiKey; }

        /** Throws {@link IllegalArgumentException} for a missing URL or an impossible workload. */
        public BenchSpec build() {
            return new BenchSpec(this);
        }
    }
}
