package dev.llamagic.engine.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import tech.tablesaw.api.Table;

/**
 * One run of llama.cpp's {@code llama-bench}: an immutable value built with {@link #builder(Path)}:
 * {@code LlamaBench.run(ctx, LlamaBenchSpec.builder(Path.of("m.gguf")).args(List.of("-p", "512", "-n", "128")).build())}.
 */
public final class LlamaBenchSpec {
    private final Path model;
    private final List<String> args;
    private final Consumer<Table> onRow;

    private LlamaBenchSpec(Builder b) {
        this.model = Objects.requireNonNull(b.model, "model").toAbsolutePath();
        this.args = List.copyOf(b.args);
        this.onRow = b.onRow;
    }

    public static Builder builder(Path model) {
        return new Builder().model(model);
    }

    /** The GGUF measured (absolute). */
    public Path model() { return model; }
    /** llama-bench's own arguments ({@code -p 512 -n 128}); the output format is llamagic's. */
    public List<String> args() { return args; }
    /** Gets the table after each finished test, while holding its lock; null: nobody. */
    public Consumer<Table> onRow() { return onRow; }

    public static final class Builder {
        private Path model;
        private List<String> args = List.of();
        private Consumer<Table> onRow;

        private Builder() {}

        public Builder model(Path v) { model = v; return this; }
        public Builder args(List<String> v) { args = v == null ? List.of() : v; return this; }
        public Builder onRow(Consumer<Table> v) { onRow = v; return this; }

        public LlamaBenchSpec build() {
            return new LlamaBenchSpec(this);
        }
    }
}
