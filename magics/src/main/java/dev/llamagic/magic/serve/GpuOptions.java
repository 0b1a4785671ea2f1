package dev.llamagic.magic.serve;

import dev.llamagic.core.UserError;
import dev.llamagic.engine.serve.GpuFit;

/** %serve's GPU options checked before anything is looked up: a bad value is one line naming the option. */
final class GpuOptions {
    private GpuOptions() {}

    /** Makes the one-line error for an option and what is wrong with its value. */
    interface Error {
        UserError of(String option, String problem);
    }

    /** Checks the values; returns the KV cache types {k, v} (null when --cache-type was not given). */
    static String[] check(Error err, String gpus, String tensorSplit, String splitMode, String cacheType, Integer parallel,
                          Integer draftMax, String fa) {
        fail(err, "--gpus", GpuFit.gpusProblem(gpus));
        fail(err, "--tensor-split", GpuFit.tensorSplitProblem(tensorSplit));
        fail(err, "--split-mode", GpuFit.splitModeProblem(splitMode));
        fail(err, "--cache-type", GpuFit.cacheTypeProblem(cacheType));
        fail(err, "--parallel", GpuFit.positiveProblem(parallel));
        fail(err, "--draft-max", GpuFit.positiveProblem(draftMax));
        if (cacheType == null) return null;
        String[] kv = GpuFit.cacheTypes(cacheType);
        if (GpuFit.quantized(kv[1]) && "off".equals(fa)) {
            throw err.of("--cache-type", kv[1] + " quantizes the V cache, which needs flash attention: drop --fa off (or keep V at f16: --cache-type "
                    + kv[0] + ",f16)");
        }
        return kv;
    }

    private static void fail(Error err, String option, String problem) {
        if (problem != null) throw err.of(option, problem);
    }
}
