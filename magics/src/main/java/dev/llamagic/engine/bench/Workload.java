package dev.llamagic.engine.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code %bench} sends: every combination of a prompt length, a generation length and a concurrency
 * level, each run {@code repetitions} times as a batch of {@code concurrency} requests started together.
 * Prompts are exactly {@code promptTokens} tokens (token ids from the server's {@code /tokenize}, sent as a
 * token array with {@code cache_prompt: false}); each request generates exactly {@code genTokens} tokens
 * ({@code n_predict} with {@code ignore_eos}). One unmeasured warm-up request runs first.
 *
 * <ul>
 *   <li>{@link #standard()}: prompts 128 / 512 / 2048, generation 128, concurrency 1 / 2 / 4 / 8, 3 repetitions.</li>
 *   <li>{@link #quick()} ({@code --quick}, for CPUs and tests): prompts 64 / 256, generation 32,
 *       concurrency 1 / 2 / 4, 2 repetitions.</li>
 * </ul>
 * Concurrency levels above the server's slots are dropped (requests would queue, not run together), and a
 * combination whose prompt + generation does not fit one slot's context is skipped, with a note.
 */
public record Workload(String name, List<Integer> promptTokens, List<Integer> genTokens, List<Integer> concurrency,
                       int repetitions) {

    public Workload {
        promptTokens = List.copyOf(promptTokens);
        genTokens = List.copyOf(genTokens);
        concurrency = List.copyOf(concurrency);
        if (promptTokens.isEmpty() || genTokens.isEmpty() || concurrency.isEmpty()) {
            throw new IllegalArgumentException("a workload needs prompt lengths, generation lengths and concurrency levels");
        }
        for (int v : promptTokens) if (v < 1) throw new IllegalArgumentException("prompt length must be ≥ 1: " + v);
        for (int v : genTokens) if (v < 2) throw new IllegalArgumentException("generation length must be ≥ 2 (decode rates count n−1 tokens): " + v);
        for (int v : concurrency) if (v < 1) throw new IllegalArgumentException("concurrency must be ≥ 1: " + v);
        if (repetitions < 1) throw new IllegalArgumentException("repetitions must be ≥ 1: " + repetitions);
    }

    public static Workload standard() {
        return new Workload("standard", List.of(128, 512, 2048), List.of(128), List.of(1, 2, 4, 8), 3);
    }

    public static Workload quick() {
        return new Workload("quick", List.of(64, 256), List.of(32), List.of(1, 2, 4), 2);
    }

    public Workload withPrompts(List<Integer> v) {
        return new Workload(modified(), v, genTokens, concurrency, repetitions);
    }

    public Workload withGen(List<Integer> v) {
        return new Workload(modified(), promptTokens, v, concurrency, repetitions);
    }

    public Workload withConcurrency(List<Integer> v) {
        return new Workload(modified(), promptTokens, genTokens, v, repetitions);
    }

    public Workload withRepetitions(int v) {
        return new Workload(modified(), promptTokens, genTokens, concurrency, v);
    }

    /** This workload with the given settings in place of its own; a null keeps its own. */
    public Workload with(List<Integer> prompts, List<Integer> gen, List<Integer> concurrency, Integer repetitions) {
        Workload w = this;
        if (prompts != null) w = w.withPrompts(prompts);
        if (gen != null) w = w.withGen(gen);
        if (concurrency != null) w = w.withConcurrency(concurrency);
        if (repetitions != null) w = w.withRepetitions(repetitions);
        return w;
    }

    private String modified() {
        return name.endsWith(" (modified)") ? name : name + " (modified)";
    }

    public int maxConcurrency() {
        return concurrency.stream().mapToInt(Integer::intValue).max().orElse(1);
    }

    /** The longest prompt + generation: the context one slot needs. */
    public int maxSequence() {
        return promptTokens.stream().mapToInt(Integer::intValue).max().orElse(0)
                + genTokens.stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    /** One measured combination. */
    public record Case(int promptTokens, int genTokens, int concurrency) {}

    /** The cases to run against a server and the notes on what was left out. */
    public record Plan(List<Case> cases, int repetitions, List<String> notes) {
        public int requests() {
            return cases.stream().mapToInt(Case::concurrency).sum() * repetitions;
        }
    }

    /**
     * The cases for a server with {@code slots} parallel slots of {@code slotContext} tokens each
     * ({@code /props}: {@code total_slots}, {@code default_generation_settings.n_ctx}; ≤ 0 = unknown, no limit).
     */
    public Plan plan(int slots, int slotContext) {
        List<String> notes = new ArrayList<>();
        List<Integer> levels = new ArrayList<>();
        for (int c : concurrency) {
            if (slots > 0 && c > slots) continue;
            if (!levels.contains(c)) levels.add(c);
        }
        List<Integer> dropped = concurrency.stream().filter(c -> slots > 0 && c > slots).toList();
        if (!dropped.isEmpty()) {
            notes.add("concurrency " + join(dropped) + " left out: the server has " + slots + " slot"
                    + (slots == 1 ? "" : "s") + " (start it with more parallel slots, -np, to measure them)");
        }
        if (levels.isEmpty()) levels.add(1);
        List<Case> cases = new ArrayList<>();
        for (int p : promptTokens) {
            for (int g : genTokens) {
                if (slotContext > 0 && p + g > slotContext) {
                    notes.add("prompt " + p + " + generation " + g + " tokens left out: one slot holds "
                            + slotContext + " tokens (raise the server's context, -c)");
                    continue;
                }
                for (int c : levels) cases.add(new Case(p, g, c));
            }
        }
        return new Plan(cases, repetitions, notes);
    }

    /** The workload in one line, for the report. */
    public String describe() {
        return "prompts " + join(promptTokens) + " tokens · generation " + join(genTokens) + " tokens · concurrency "
                + join(concurrency) + " · " + repetitions + " repetition" + (repetitions == 1 ? "" : "s");
    }

    private static String join(List<Integer> v) {
        return String.join("/", v.stream().map(String::valueOf).toList());
    }
}
