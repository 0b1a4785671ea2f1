package dev.llamagic.engine.build;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The device check of a cross-built CUDA build ({@link LlamaInstall#devicePending()}): on the first use on a machine
 * with a GPU, the GPU's architecture must be among those built, and {@code llama-server --list-devices} must list a
 * CUDA device; then the build's record says so. Without a GPU it stays pending.
 */
public final class DeviceCheck {
    private DeviceCheck() {}

    private static final Pattern SM = Pattern.compile("sm_(\\d+)");
    private static final Pattern PTX = Pattern.compile("compute_(\\d+)");

    /** {@code install} after its device check when one is due and a GPU is here; {@code install} itself otherwise. */
    public static LlamaInstall completeIfDue(Context ctx, LlamaInstall install) {
        if (!install.devicePending()) return install;
        CudaToolkit.Probe probe = CudaToolkit.system(ctx.env()).probe();
        if (!probe.hasGpu()) return install;
        return complete(ctx, install, probe.gpus(), List.of(install.binDir().resolve("llama-server").toString(), "--list-devices"));
    }

    /** The check itself, with the GPUs seen and the command that lists the binaries' devices. */
    static LlamaInstall complete(Context ctx, LlamaInstall install, List<CudaToolkit.Gpu> gpus, List<String> listDevices) {
        for (CudaToolkit.Gpu g : gpus) {
            if (g.arch().isEmpty()) continue;
            int arch = Integer.parseInt(g.arch());
            if (!runsOn(install.cudaCode(), arch)) {
                throw new UserError("the cross-built llama.cpp build " + install.key() + " holds " + install.cudaCode()
                        + ", which cannot run on this " + g.name() + " (sm_" + arch + "): build it for " + arch)
                        .hint("build-cuda-arch", g.arch());
            }
        }
        ChildProcess.Result r;
        try {
            r = ChildProcess.run(listDevices, null, Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new UserError("the device check of llama.cpp build " + install.key() + " could not run: " + e.getMessage());
        }
        List<String> devices = LlamaBuilder.parseDevices(r.output());
        if (devices.stream().noneMatch(d -> d.startsWith("CUDA"))) {
            String why = r.output().lines().filter(l -> l.toLowerCase(Locale.ROOT).contains("cuda")
                    && !l.contains("Available devices")).findFirst().map(String::trim).orElse(r.lastLine("no output"));
            throw new UserError("the cross-built llama.cpp build " + install.key() + " does not see the GPU ("
                    + gpus.get(0).name() + "): llama-server --list-devices lists "
                    + (devices.isEmpty() ? "none" : String.join(", ", devices)) + " (" + why + ")"
                    + "; check that the driver supports the CUDA release it was built with");
        }
        LlamaInstall done = install.withDevices(devices);
        try {
            done.write(install.binDir().getParent().resolve(LlamaInstall.MARKER));
        } catch (IOException e) {
            // the check passed; it runs again next time
        }
        ctx.notebook().print("device check of the cross-built llama.cpp build " + install.key() + " completed: "
                + String.join("; ", devices));
        return done;
    }

    /** Whether code described as "sm_86 + PTX compute_86 in ..." runs on a GPU of {@code arch}: its cubin, or PTX as old or older. */
    static boolean runsOn(String cudaCode, int arch) {
        if (cudaCode.isBlank()) return true; // not known: let the device listing decide
        List<Integer> sm = numbers(SM, cudaCode), ptx = numbers(PTX, cudaCode);
        // a cubin runs on the same major architecture at the same or a later minor (8.6 code on 8.9)
        for (int s : sm) if (s / 10 == arch / 10 && s <= arch) return true;
        for (int p : ptx) if (p <= arch) return true;
        return false;
    }

    private static List<Integer> numbers(Pattern p, String s) {
        List<Integer> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) out.add(Integer.parseInt(m.group(1)));
        return out;
    }
}
