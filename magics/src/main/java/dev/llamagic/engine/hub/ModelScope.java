package dev.llamagic.engine.hub;

import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.util.Units;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import okhttp3.HttpUrl;

/**
 * The Java API of {@code %ms-download}: {@code ModelScope.download(Cell.context(), new ModelScope.Options("Qwen/Qwen3-4B"))}
 * returns the local directory of the snapshot, drawing the same progress bar as the magic; {@link #run} returns
 * what happened to each file (the magic shows it as a table).
 */
public final class ModelScope {
    private ModelScope() {}

    /** What to download and how; fluent setters. */
    public static final class Options {
        String model;
        String revision = "master";
        Path localDir;
        Path cacheDir;
        List<String> include = new ArrayList<>();
        List<String> exclude = new ArrayList<>();
        String token;
        String endpoint;
        SnapshotDownloader.Options tuning = SnapshotDownloader.Options.defaults();
        Duration timeout = Duration.ofSeconds(60);

        public Options(String model) {
            this.model = model;
        }

        public Options revision(String r) { this.revision = r; return this; }
        public Options localDir(Path p) { this.localDir = p; return this; }
        public Options localDir(String p) { return localDir(Path.of(p)); }
        public Options cacheDir(Path p) { this.cacheDir = p; return this; }
        public Options cacheDir(String p) { return cacheDir(Path.of(p)); }
        public Options include(String... p) { this.include.addAll(List.of(p)); return this; }
        public Options exclude(String... p) { this.exclude.addAll(List.of(p)); return this; }
        public Options token(String t) { this.token = t; return this; }
        public Options endpoint(String e) { this.endpoint = e; return this; }
        public Options timeout(Duration d) { this.timeout = d; return this; }
        public Options tuning(SnapshotDownloader.Options t) { this.tuning = t; return this; }
    }

    public static Path download(Context ctx, Options o) {
        return run(ctx, o).dir();
    }

    /**
     * Downloads and returns the detailed result; failures are {@link HubException} (one sentence) or
     * {@link Interrupted}.
     */
    public static SnapshotDownloader.Result run(Context ctx, Options o) {
        String[] id = (o.model == null ? "" : o.model.strip()).split("/");
        if (id.length != 2 || id[0].isBlank() || id[1].isBlank()) {
            throw new HubException(0, "give the model as owner/name, e.g. Qwen/Qwen3-4B (got '" + o.model + "')");
        }
        String owner = id[0];
        String name = id[1];
        HttpUrl endpoint;
        try {
            endpoint = HubEndpoint.resolve(o.endpoint, ctx.env());
        } catch (IllegalArgumentException e) {
            throw new HubException(0, e.getMessage());
        }
        String token = o.token != null && !o.token.isBlank() ? o.token : ctx.env("MODELSCOPE_API_TOKEN");
        ModelScopeClient client = new ModelScopeClient(endpoint, token, o.timeout, o.tuning.connections(), ctx.env());
        CompletableFuture<String> region = HubEndpoint.regionAsync(endpoint, ctx.env(), client.http());
        try {
            String repo = owner + "/" + name;
            client.checkModel(owner, name);
            ctx.checkInterrupted();
            List<ModelScopeClient.Revision> revs = client.revisions(owner, name);
            String rev = o.revision == null || o.revision.isBlank() ? "master" : o.revision.strip();
            ModelScopeClient.Revision chosen = revs.stream().filter(r -> r.name().equals(rev)).findFirst().orElse(null);
            if (chosen == null) {
                String branches = revs.stream().filter(r -> !r.tag()).map(ModelScopeClient.Revision::name).collect(Collectors.joining(", "));
                String tags = revs.stream().filter(ModelScopeClient.Revision::tag).map(ModelScopeClient.Revision::name).collect(Collectors.joining(", "));
                throw new HubException(0, "model " + repo + " has no revision '" + rev + "'; valid: branches [" + branches
                        + "], tags [" + tags + "]");
            }
            List<RepoFile> listed = client.listFiles(owner, name, rev, null);
            ctx.checkInterrupted();
            Patterns patterns = new Patterns(o.include, o.exclude);
            List<RepoFile> selected = listed.stream().filter(f -> patterns.selects(f.path())).toList();
            if (selected.isEmpty()) {
                String sample = listed.stream().limit(6).map(RepoFile::path).collect(Collectors.joining(", "))
                        + (listed.size() > 6 ? ", ..." : "");
                if (listed.isEmpty()) throw new HubException(0, "model " + repo + " has no files at revision " + rev);
                if (!patterns.include().isEmpty()) {
                    throw new HubException(0, "--include " + String.join(" ", patterns.include()) + " matches none of the "
                            + listed.size() + " files of " + repo + " (" + sample + ")");
                }
                throw new HubException(0, "--exclude " + String.join(" ", patterns.exclude()) + " leaves none of the "
                        + listed.size() + " files of " + repo);
            }
            Layout layout = o.localDir != null ? Layout.localDir(o.localDir, owner, name)
                    : o.cacheDir != null ? Layout.cacheDir(o.cacheDir, owner, name)
                    : Layout.localDir(ctx.home().resolve("models").resolve(name), owner, name);
            DownloadPlan.check(repo, selected, layout);
            long bytes = selected.stream().mapToLong(RepoFile::size).sum();
            ctx.notebook().print("Downloading " + repo + "@" + rev + " (" + selected.size() + " files, " + Units.bytes(bytes)
                    + ") from " + endpoint + " to " + layout.root());
            String reg = HubEndpoint.await(region);
            if (reg != null) {
                client.region(reg);
                ctx.notebook().print("intranet acceleration: region " + reg);
            }
            VerifiedRecord record = VerifiedRecord.load(layout.root());
            SnapshotDownloader d = new SnapshotDownloader(client, o.tuning,
                    () -> ctx.cancelled() || Thread.currentThread().isInterrupted()).createdAt(chosen.createdAt());
            SnapshotDownloader.Result result;
            try {
                result = d.download(owner, name, rev, selected, layout,
                        (title, total) -> ctx.notebook().progress(title, total, dev.llamagic.core.Progress.Unit.BYTES), record);
            } catch (IOException e) {
                if (ctx.cancelled() || Thread.currentThread().isInterrupted()) throw new Interrupted();
                throw new HubException(0, "cannot write to " + layout.root() + ": " + e.getMessage());
            }
            return result;
        } catch (IOException e) {
            if (ctx.cancelled() || Thread.currentThread().isInterrupted()) throw new Interrupted();
            throw new HubException.Unreachable("cannot reach the hub at " + endpoint + ": " + dev.llamagic.util.NetErrors.describe(e));
        } finally {
            client.close();
        }
    }
}
