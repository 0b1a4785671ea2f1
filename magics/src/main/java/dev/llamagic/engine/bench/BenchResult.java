package dev.llamagic.engine.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Everything one {@code %bench} run against one server measured. {@link BenchReport} turns it into tables.
 *
 * @param model      the model's name: its GGUF file name without {@code .gguf} (the server's alias, or its URL, when
 *                   the file is unknown)
 * @param serverName the server's name where it has one ({@link BenchSpec#server()}), else null
 * @param modelFile  the GGUF measured, null when not found here
 * @param modelBytes the GGUF's size on disk (all parts of a split model), 0 when the file is unknown here
 */
public record BenchResult(String model, String serverName, String baseUrl, Workload workload, Workload.Plan plan,
                          Server server, List<CaseResult> cases, List<String> gpuNames,
                          Optional<Roofline.Bandwidth> bandwidth, Path modelFile, long modelBytes) {

    /** What {@code /props} said about the server. */
    public record Server(int slots, int slotContext, String modelPath, String buildInfo) {}

    /** One workload case: its batches and the GPU memory peak while they ran. */
    public record CaseResult(Workload.Case workloadCase, List<Batch> batches, OptionalLong gpuPeakMiB) {}

    /**
     * One batch of {@code concurrency} requests started together.
     *
     * @param aggregateDecodeTps Σ (tokens − first token) over the batch ÷ (earliest first token → latest last token)
     */
    public record Batch(int repetition, List<Request> requests, double aggregateDecodeTps) {
        public Batch withRepetition(int rep) {
            return new Batch(rep, requests, aggregateDecodeTps);
        }
    }

    /**
     * One request, timed on the client (nanosecond clock, milliseconds here) with the server's own timings.
     *
     * @param ttftMs           request sent → first event carrying a generated token
     * @param e2eMs            request sent → response stream closed
     * @param decodeMs         first token event → final event (the last token's)
     * @param decodeTokens     tokens generated after the first event's (server's count: final − first event's)
     * @param clientDecodeTps  decodeTokens ÷ decodeMs
     */
    public record Request(int index, double ttftMs, double e2eMs, double decodeMs, int decodeTokens,
                          double clientDecodeTps, Timings server) {}

    /** llama-server's {@code timings} object of the final response. */
    public record Timings(int cacheN, int promptN, double promptMs, double promptPerSecond, int predictedN,
                          double predictedMs, double predictedPerSecond) {}
}
