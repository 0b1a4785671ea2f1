package dev.llamagic.engine.build;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * How far a build is in time rather than in steps, for the progress bar's percentage and ETA. A CUDA build of
 * llama.cpp is 369 ninja steps whose costs differ by two orders of magnitude (sm_86, 2 cores, node-llama-cpp
 * 3.22.1's llama.cpp, from ninja's own log {@code .ninja_log}): 198 C/C++ objects 3.4 s each on average, 68 CUDA
 * objects 5.7 s, 75 CUDA template instances ({@code template-instances/}: flash attention, mmq, mmf) 23 s, 40 links
 * and symlinks almost nothing. Counted as equal steps, the ETA was 0.4 to 3.8 times the time actually left (7 min
 * said for a 24-minute build); with these weights, 0.75 to 1.3 times.
 *
 * <p>A CUDA object counts {@link #cudaWeight(boolean, int)} ordinary steps, more for each architecture; the CUDA
 * objects still to build are those {@code build.ninja} declares less those already in the build folder (an
 * interrupted build resumes). Fed with the steps ninja reports ({@code [finished/total] description}).
 */
final class BuildWork {
    private final int plainToBuild;
    private final int instancesToBuild;
    private final double plainWeight;
    private final double instanceWeight;
    private int plainSeen;
    private int instancesSeen;

    BuildWork(int plainToBuild, int instancesToBuild, int archs) {
        this.plainToBuild = Math.max(0, plainToBuild);
        this.instancesToBuild = Math.max(0, instancesToBuild);
        this.plainWeight = cudaWeight(false, archs);
        this.instanceWeight = cudaWeight(true, archs);
    }

    /** A CPU build (no CUDA objects): the work is the steps. */
    static BuildWork steps() {
        return new BuildWork(0, 0, 1);
    }

    /**
     * A CUDA object's cost in ordinary steps when compiled for {@code archs} architectures: the host part once,
     * the device part per architecture (measured for one: 1.7 for an ordinary CUDA object, 6.8 for a template
     * instance).
     */
    static double cudaWeight(boolean templateInstance, int archs) {
        return 1 + (templateInstance ? 5.8 : 0.7) * Math.max(1, archs);
    }

    /** For a configured build folder: the CUDA objects {@code build.ninja} declares that are not built yet. */
    static BuildWork of(Path buildDir, int archs) {
        if (archs <= 0) return steps();
        List<String> declared;
        try (Stream<String> lines = Files.lines(buildDir.resolve("build.ninja"))) {
            declared = lines.filter(BuildWork::declaresCudaObject).map(l -> l.substring(0, l.indexOf(": CUDA_COMPILER__")))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            return steps(); // a Makefile build or an unreadable file: count steps
        }
        List<String> built;
        try (Stream<Path> files = Files.walk(buildDir)) {
            built = files.map(Path::toString).filter(f -> f.endsWith(".cu.o")).toList();
        } catch (IOException | UncheckedIOException e) {
            built = List.of();
        }
        long instances = declared.stream().filter(BuildWork::isTemplateInstance).count()
                - built.stream().filter(BuildWork::isTemplateInstance).count();
        long plain = declared.size() - built.size() - instances;
        return new BuildWork((int) plain, (int) instances, archs);
    }

    /** A {@code build.ninja} edge compiling a CUDA source: {@code build <out>.cu.o: CUDA_COMPILER__<target> ...}. */
    static boolean declaresCudaObject(String line) {
        return line.startsWith("build ") && line.contains(": CUDA_COMPILER__");
    }

    private static boolean isTemplateInstance(String path) {
        return path.contains("template-instances/");
    }

    /** Ninja reported the step {@code description}. */
    void step(String description) {
        if (!description.startsWith("Building CUDA object")) return;
        if (isTemplateInstance(description)) instancesSeen++;
        else plainSeen++;
    }

    /** The work done after {@code finished} of the run's steps. */
    double done(long finished) {
        int plain = Math.min(plainSeen, plainToBuild);
        int instances = Math.min(instancesSeen, instancesToBuild);
        return plain * plainWeight + instances * instanceWeight + Math.max(0, finished - plain - instances);
    }

    /** The whole run's work when ninja will run {@code total} steps. */
    double total(long total) {
        int instances = (int) Math.min(instancesToBuild, total);
        int plain = (int) Math.min(plainToBuild, total - instances);
        return plain * plainWeight + instances * instanceWeight + (total - plain - instances);
    }
}
