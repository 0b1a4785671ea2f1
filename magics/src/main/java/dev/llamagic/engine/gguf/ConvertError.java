package dev.llamagic.engine.gguf;

import dev.llamagic.core.UserError;

/**
 * A conversion the Java converter refuses, with a place for advice the caller can give in its own terms (a
 * magic names its flags there). The message alone is the engine's wording, without that advice.
 */
public final class ConvertError extends UserError {
    /** Why: the model needs llama.cpp's own converter, or the output does not fit on its disk. */
    public enum Reason {
        /** config.json's architecture is not one {@link Arch#all()} converts. */
        ARCHITECTURE,
        /** a tensor the architecture does not know. */
        TENSOR,
        /** a RoPE scaling type the architecture does not handle. */
        ROPE_SCALING,
        /** a tensor dtype other than F32, F16 and BF16. */
        DTYPE,
        /** neither tokenizer.json nor (for Llama) tokenizer.model. */
        NO_TOKENIZER,
        /** tokenizer.json's model is not BPE. */
        NOT_BPE,
        /** tokenizer.json's pre-tokenizer regex is not one llama.cpp's ids are known for. */
        PRE_TOKENIZER,
        /** the GGUF does not fit on the output's disk (checked before writing, or the disk filled up). */
        DISK
    }

    private static final String ADVICE = "\u0000";
    private final Reason reason;
    private final String template;

    /** {@code template}: the message with {@code {advice}} where a caller's advice goes (removed in the message). */
    ConvertError(Reason reason, String template) {
        super(template.replace("{advice}", ""));
        this.reason = reason;
        this.template = template.replace("{advice}", ADVICE);
    }

    public Reason reason() {
        return reason;
    }

    /** The message with {@code advice} in its place, e.g. {@code "; try --engine python"}. */
    public String withAdvice(String advice) {
        return template.replace(ADVICE, advice);
    }
}
