package dev.llamagic.magic.hub;

import dev.llamagic.engine.hub.GgufQuants;
import dev.llamagic.engine.hub.HubException;
import dev.llamagic.engine.hub.HubGguf;
import dev.llamagic.engine.hub.ModelScope;
import dev.llamagic.engine.hub.RangePlan;
import dev.llamagic.engine.hub.SnapshotDownloader;

import dev.llamagic.magic.Commands;
import dev.llamagic.core.Interrupted;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.core.UserError;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ms-download", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Downloads a model snapshot from ModelScope: parallel byte ranges, sha256-verified, resumable.",
                "从魔搭 ModelScope 下载模型：多连接分段并行、sha256 校验、可断点续传。"},
        footer = {"", "Same flags and on-disk layout as `modelscope download`. Endpoint: --endpoint, else "
                + "MODELSCOPE_ENDPOINT, else MODELSCOPE_DOMAIN, else https://www.modelscope.cn.",
                "Example: %%ms-download Qwen/Qwen3-0.6B --include '*.json' '*.safetensors'",
                "GGUF repos: %%ms-download Qwen/Qwen3-4B-GGUF:Q4_K_M downloads that quantization only (every split part, "
                + "the mmproj if any); without :QUANT a repo of several lists them with their sizes and which fits."})
public class MsDownloadCommand extends MagicCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "owner/name, e.g. Qwen/Qwen3-4B, or owner/name-GGUF:QUANT")
    String positional;

    @Option(names = "--model", paramLabel = "MODEL", description = "owner/name (instead of the positional MODEL)")
    String model;

    @Option(names = "--revision", paramLabel = "REV", description = "branch or tag (default: master)")
    String revision;

    @Option(names = "--local_dir", paramLabel = "DIR", description = "where the files go (default: LLAMAGIC_HOME/models/<name>)")
    Path localDir;

    @Option(names = "--cache_dir", paramLabel = "DIR", description = "official cache layout: DIR/<owner>/<name with . as ___>")
    Path cacheDir;

    @Option(names = "--include", arity = "1..*", paramLabel = "GLOB", description = "only paths matching (fnmatch, * matches /; comma lists allowed)")
    List<String> include = new ArrayList<>();

    @Option(names = "--exclude", arity = "1..*", paramLabel = "GLOB", description = "skip paths matching (applied before --include)")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--max-workers", paramLabel = "N", description = "files fetched at the same time (default: 8)")
    int maxWorkers = 8;

    @Option(names = "--connections", paramLabel = "N", description = "parallel connections in all, byte ranges of large files included (default: 16)")
    int connections = 16;

    @Option(names = "--range-size", paramLabel = "SIZE", description = "unit of progress, resume and repair for large files, e.g. 32M (default), 128M")
    String rangeSize = "32M";

    @Option(names = "--streams", paramLabel = "N", description = "connections per large file, each reading its share of the ranges in one request (default: 4)")
    int streams = SnapshotDownloader.Options.STREAMS;

    @Option(names = "--token", paramLabel = "TOKEN", description = "ModelScope access token (default: MODELSCOPE_API_TOKEN)")
    String token;

    @Option(names = "--endpoint", paramLabel = "URL", description = "hub URL (default: MODELSCOPE_ENDPOINT / MODELSCOPE_DOMAIN / https://www.modelscope.cn)")
    String endpoint;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "read timeout of a stalled connection before it is retried (default: 60)")
    double timeout = 60;

    @Option(names = "--retries", paramLabel = "N", description = "retries of a byte range without progress (default: 5)")
    int retries = 5;

    @Option(names = "--verify", description = "hash every file already on disk again instead of trusting the record of earlier checks")
    boolean verify;

    private long rangeSizeBytes;

    @Override
    protected void run() {
        String prefix = Commands.prefix("ms-download", body, ctx);
        String id = model != null ? model : positional;
        if (model != null && positional != null && !positional.equals(model)) {
            throw new UserError(prefix + ": give the model once, either as MODEL or --model (got '" + positional + "' and '" + model + "')");
        }
        if (id == null) throw new UserError(prefix + ": which model? e.g. " + prefix + " Qwen/Qwen3-0.6B");
        if (maxWorkers < 1 || connections < 1 || streams < 1 || retries < 0 || timeout <= 0) {
            throw new UserError(prefix + ": --max-workers, --connections, --streams and --timeout must be positive");
        }
        if (localDir != null && cacheDir != null) {
            throw new UserError(prefix + ": give either --local_dir or --cache_dir, not both");
        }
        long range;
        try {
            range = RangePlan.parseSize(rangeSize);
        } catch (IllegalArgumentException e) {
            throw new UserError(prefix + ": --range-size " + e.getMessage());
        }
        if (range < (1 << 20)) throw new UserError(prefix + ": --range-size must be at least 1M");
        rangeSizeBytes = range;
        ModelScope.Options o = new ModelScope.Options(id).revision(revision).token(token).endpoint(endpoint)
                .timeout(Duration.ofMillis((long) (timeout * 1000)))
                .tuning(new SnapshotDownloader.Options(maxWorkers, Math.max(connections, 1), range, retries, verify)
                        .streams(streams));
        if (localDir != null) o.localDir(localDir);
        if (cacheDir != null) o.cacheDir(cacheDir);
        o.include(include.toArray(String[]::new));
        o.exclude(exclude.toArray(String[]::new));
        SnapshotDownloader.Result result;
        try {
            // owner/Repo-GGUF:QUANT downloads that quantization only; a GGUF repo of several, without one, shows the menu
            GgufQuants.Ref ref = GgufQuants.parse(id).orElse(null);
            if (ref != null && ref.quant() != null) {
                o = withModel(o, ref.repo());
                result = HubGguf.get(ctx, o, ref.quant()).download();
            } else if (ref != null && include.isEmpty() && exclude.isEmpty()
                    && ref.name().toLowerCase(java.util.Locale.ROOT).contains("gguf")) {
                List<GgufQuants.Quant> quants = GgufQuants.group(HubGguf.list(ctx, o));
                if (quants.size() > 1) throw GgufMenuView.show(out, HubGguf.menu(ctx, ref.repo(), quants), prefix, prefix);
                result = ModelScope.run(ctx, o);
            } else {
                result = ModelScope.run(ctx, o);
            }
        } catch (Interrupted e) {
            throw new Interrupted(prefix + " " + id);
        } catch (HubException e) {
            throw new UserError(prefix + ": " + e.getMessage());
        } catch (HubException.Unreachable e) {
            throw new UserError(prefix + ": " + e.getMessage() + "; check the network, or point --endpoint"
                    + " (or MODELSCOPE_ENDPOINT) at a hub this machine reaches; a model already on disk needs no hub:"
                    + " give its directory to %to-gguf or %serve");
        }
        DownloadReport.show(out, result);
    }

    /** The same options for another model id (the quantization cut off). */
    private ModelScope.Options withModel(ModelScope.Options o, String repo) {
        ModelScope.Options c = new ModelScope.Options(repo).revision(revision).token(token).endpoint(endpoint)
                .timeout(Duration.ofMillis((long) (timeout * 1000)))
                .tuning(new SnapshotDownloader.Options(maxWorkers, Math.max(connections, 1), rangeSizeBytes, retries, verify)
                        .streams(streams));
        if (localDir != null) c.localDir(localDir);
        if (cacheDir != null) c.cacheDir(cacheDir);
        c.exclude(exclude.toArray(String[]::new));
        return c;
    }
}
