package dev.llamagic.engine.hub;

import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.engine.gpu.Gpu;
import dev.llamagic.engine.gpu.HostStats;
import dev.llamagic.engine.gpu.NvidiaSmi;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import okhttp3.HttpUrl;

/**
 * One quantization of a GGUF repo from the hub ({@code Qwen/Qwen3-4B-GGUF:Q4_K_M}): lists the repo, picks that
 * quantization's files (every split part, the projector if any) and downloads only those with the snapshot
 * downloader. Without a quantization, a repo holding several answers with a {@link Menu} instead (nothing is
 * downloaded): the quantizations, their sizes and which fits the free GPU memory (or RAM).
 *
 * <pre>{@code HubGguf.Result r = HubGguf.get(ctx, new ModelScope.Options("Qwen/Qwen3-4B-GGUF"), "Q4_K_M");
 * Path gguf = r.model();}</pre>
 */
public final class HubGguf {
    private HubGguf() {}

    /** The quantizations of a repo and the memory they are judged against. */
    public record Menu(String repo, List<GgufQuants.Quant> quants, GgufQuants.Quant fitting, long freeBytes,
                       int gpus) {
        /** Whether the free memory is the GPUs' (else the RAM's). */
        public boolean gpu() {
            return gpus > 0;
        }
    }

    /** Either a menu (nothing downloaded) or the chosen files downloaded: the model (first part) and projector. */
    public record Result(Menu menu, GgufQuants.Choice choice, SnapshotDownloader.Result download, Path model, Path mmproj) {}

    /** {@code quant} of the repo {@code o} names (null: the only one, or a menu when there are several). */
    public static Result get(Context ctx, ModelScope.Options o, String quant) {
        String repo = o.model == null ? "" : o.model.strip();
        List<RepoFile> listed = list(ctx, o);
        List<GgufQuants.Quant> quants = GgufQuants.group(listed);
        GgufQuants.Choice choice;
        if (quant == null || quant.isBlank()) {
            if (quants.isEmpty()) return new Result(null, null, null, null, null);
            if (quants.size() > 1) return new Result(menu(ctx, repo, quants), null, null, null, null);
            choice = GgufQuants.complete(repo, quants.get(0), listed);
        } else {
            choice = GgufQuants.choose(repo, listed, quant);
        }
        ModelScope.Options only = copy(o);
        only.include.clear();
        for (String p : choice.paths()) only.include.add(glob(p));
        SnapshotDownloader.Result d = ModelScope.run(ctx, only);
        Path model = d.dir().resolve(choice.quant().first().path());
        Path mmproj = choice.mmproj() == null ? null : d.dir().resolve(choice.mmproj().path());
        return new Result(null, choice, d, model, mmproj);
    }

    /** The quantizations against this machine's free memory: the GPUs' (nvidia-smi) or else the RAM's. */
    public static Menu menu(Context ctx, String repo, List<GgufQuants.Quant> quants) {
        List<Gpu> gpus = NvidiaSmi.queryGpus(ctx.env());
        long free = 0;
        int n = 0;
        for (Gpu g : gpus) {
            if (g.memoryTotalMiB() == null) continue;
            long used = g.memoryUsedMiB() == null ? 0 : g.memoryUsedMiB();
            free += Math.max(0, g.memoryTotalMiB() - used) << 20;
            n++;
        }
        if (n == 0) {
            try {
                free = HostStats.ram(Path.of("/proc")).availableKiB() << 10;
            } catch (IOException | RuntimeException e) {
                free = 0;
            }
        }
        return new Menu(repo, quants, GgufQuants.largestFitting(quants, free), free, n);
    }

    /** The repo's files at the revision (after the same existence and revision checks as a download). */
    public static List<RepoFile> list(Context ctx, ModelScope.Options o) {
        String[] id = (o.model == null ? "" : o.model.strip()).split("/");
        if (id.length != 2 || id[0].isBlank() || id[1].isBlank()) {
            throw new HubException(0, "give the model as owner/name, e.g. Qwen/Qwen3-4B-GGUF (got '" + o.model + "')");
        }
        HttpUrl endpoint;
        try {
            endpoint = HubEndpoint.resolve(o.endpoint, ctx.env());
        } catch (IllegalArgumentException e) {
            throw new HubException(0, e.getMessage());
        }
        String token = o.token != null && !o.token.isBlank() ? o.token : ctx.env("MODELSCOPE_API_TOKEN");
        ModelScopeClient client = new ModelScopeClient(endpoint, token, o.timeout, 4, ctx.env());
        try {
            client.checkModel(id[0], id[1]);
            ctx.checkInterrupted();
            String rev = o.revision == null || o.revision.isBlank() ? "master" : o.revision.strip();
            List<ModelScopeClient.Revision> revs = client.revisions(id[0], id[1]);
            if (revs.stream().noneMatch(r -> r.name().equals(rev))) {
                throw new HubException(0, "model " + o.model.strip() + " has no revision '" + rev + "'");
            }
            return client.listFiles(id[0], id[1], rev, null);
        } catch (IOException e) {
            if (ctx.cancelled() || Thread.currentThread().isInterrupted()) throw new Interrupted();
            throw new HubException.Unreachable("cannot reach the hub at " + endpoint + ": " + dev.llamagic.util.NetErrors.describe(e));
        } finally {
            client.close();
        }
    }

    private static ModelScope.Options copy(ModelScope.Options o) {
        ModelScope.Options c = new ModelScope.Options(o.model).revision(o.revision).token(o.token).endpoint(o.endpoint)
                .timeout(o.timeout).tuning(o.tuning);
        if (o.localDir != null) c.localDir(o.localDir);
        if (o.cacheDir != null) c.cacheDir(o.cacheDir);
        c.exclude.addAll(o.exclude);
        return c;
    }

    /** A path as an fnmatch pattern matching only itself. */
    static String glob(String path) {
        StringBuilder b = new StringBuilder();
        for (char ch : path.toCharArray()) {
            if (ch == '*' || ch == '?' || ch == '[') b.append('[').append(ch).append(']');
            else b.append(ch);
        }
        return b.toString();
    }
}
