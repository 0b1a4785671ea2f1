package dev.llamagic.engine.build;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.llamagic.util.AtomicFiles;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A finished llama.cpp build: where its binaries are and what it was built from and for. Written as
 * {@code llamagic-build.json} in the build's directory when a build has been verified; later commands
 * ({@code %serve}, {@code %quantize}, {@code %bench}) find the newest one through {@link Llama#latest}.
 *
 * @param binDir   directory holding llama-server, llama-cli, llama-quantize, llama-bench (and shared libs)
 * @param commit   the llama.cpp commit built
 * @param backend  "cuda" or "cpu"
 * @param cudaArchs CMAKE_CUDA_ARCHITECTURES used ("" for CPU)
 * @param devices  devices the built binaries listed (e.g. "CUDA0: NVIDIA A10 (22731 MiB free)")
 * @param key      the cache key (commit + backend + archs + options)
 * @param builtAt  when the build finished
 * @param targets  the targets built (empty when unknown)
 * @param buildSeconds how long the build took (configure + compile), 0 when unknown
 * @param version  what {@code llama-server --version} printed (first line), "" when unknown
 * @param source   where the source came from (URL @ ref, directory, bundle), "" when unknown
 * @param cudaCode the GPU code the CUDA library holds, as read from it ("sm_86 + PTX compute_86"), "" for CPU
 * @param devicePending a CUDA build made without a GPU ("cross-built"): its binaries have not seen a GPU yet; the
 *                 first build or server start on a GPU runs the device check ({@link DeviceCheck})
 */
public record LlamaInstall(Path binDir, String commit, String backend, String cudaArchs, List<String> devices,
                           String key, Instant builtAt, List<String> targets, double buildSeconds, String version,
                           String source, String cudaCode, boolean devicePending) {

    public LlamaInstall {
        devices = List.copyOf(devices == null ? List.of() : devices);
        targets = List.copyOf(targets == null ? List.of() : targets);
        cudaArchs = cudaArchs == null ? "" : cudaArchs;
        version = version == null ? "" : version;
        source = source == null ? "" : source;
        cudaCode = cudaCode == null ? "" : cudaCode;
    }

    public LlamaInstall(Path binDir, String commit, String backend, String cudaArchs, List<String> devices,
                        String key, Instant builtAt, List<String> targets, double buildSeconds, String version,
                        String source) {
        this(binDir, commit, backend, cudaArchs, devices, key, builtAt, targets, buildSeconds, version, source, "", false);
    }

    /** This install after a device check on a GPU: the devices its binaries listed, no longer pending. */
    public LlamaInstall withDevices(List<String> seen) {
        return new LlamaInstall(binDir, commit, backend, cudaArchs, seen, key, builtAt, targets, buildSeconds, version,
                source, cudaCode, false);
    }

    public LlamaInstall(Path binDir, String commit, String backend, String cudaArchs, List<String> devices,
                        String key, Instant builtAt) {
        this(binDir, commit, backend, cudaArchs, devices, key, builtAt, List.of(), 0, "", "");
    }

    public static final String MARKER = "llamagic-build.json";
    // no module scan (findAndRegisterModules walks the whole shaded jar: a second on a busy machine); the
    // stored shape is plain strings and numbers
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The path of one of the built programs, e.g. {@code binary("llama-server")}; fails in one line if absent. */
    public Path binary(String name) {
        Path p = binDir.resolve(name);
        if (!Files.isExecutable(p)) {
            throw new UserError(name + " is not in the llama.cpp build at " + binDir).hint("build-target", name);
        }
        return p;
    }

    public boolean cuda() {
        return "cuda".equals(backend);
    }

    public void write(Path file) throws IOException {
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(new Stored(this)));
    }

    public static LlamaInstall read(Path file) throws IOException {
        Stored s = JSON.readValue(file.toFile(), Stored.class);
        // the compact constructor turns null archs and devices into "" and an empty list
        return new LlamaInstall(Path.of(s.binDir), s.commit, s.backend, s.cudaArchs, s.devices, s.key,
                s.builtAt == null ? Instant.EPOCH : Instant.parse(s.builtAt),
                s.targets, s.buildSeconds, s.version, s.source, s.cudaCode, s.devicePending);
    }

    /** The JSON shape on disk (plain strings, so the file stays readable and stable). */
    public static final class Stored {
        public String binDir;
        public String commit;
        public String backend;
        public String cudaArchs;
        public List<String> devices;
        public String key;
        public String builtAt;
        public List<String> targets;
        public double buildSeconds;
        public String version;
        public String source;
        public String cudaCode;
        public boolean devicePending;

        public Stored() {}

        Stored(LlamaInstall i) {
            binDir = i.binDir.toString();
            commit = i.commit;
            backend = i.backend;
            cudaArchs = i.cudaArchs;
            devices = i.devices;
            key = i.key;
            builtAt = i.builtAt.toString();
            targets = i.targets;
            buildSeconds = i.buildSeconds;
            version = i.version;
            source = i.source;
            cudaCode = i.cudaCode;
            devicePending = i.devicePending;
        }
    }
}
