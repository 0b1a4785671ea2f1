package dev.llamagic.magic.serve;

import dev.llamagic.core.Context;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.hub.GgufQuants;
import dev.llamagic.engine.hub.HubException;
import dev.llamagic.engine.hub.HubGguf;
import dev.llamagic.engine.hub.ModelScope;
import dev.llamagic.engine.hub.RepoFile;
import dev.llamagic.engine.serve.ModelLocator;
import dev.llamagic.engine.serve.ServeError;
import dev.llamagic.magic.Commands;
import dev.llamagic.magic.hub.DownloadReport;
import dev.llamagic.magic.hub.GgufMenuView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code %serve owner/Repo-GGUF:QUANT}: the quantization's files from the hub (only those), or from an earlier
 * download of them under LLAMAGIC_HOME/models; without a quantization, a GGUF repo not downloaded yet answers with
 * the menu of its quantizations.
 */
final class HubServe {
    private HubServe() {}

    record Fetched(ModelLocator.Found found, Path mmproj) {}

    /** The model {@code arg} names on the hub, fetched; null when {@code arg} is not a hub GGUF reference (then it is a local name). */
    static Fetched locate(Context ctx, Notebook out, String arg) {
        GgufQuants.Ref ref = GgufQuants.parse(arg).orElse(null);
        if (ref == null) return null;
        if (ref.quant() == null) {
            if (!ref.name().toLowerCase(java.util.Locale.ROOT).contains("gguf")) return null;
            try {
                ModelLocator.locate(arg, ctx.home());
                return null; // downloaded before: served from disk as always
            } catch (ServeError e) {
                if (e.kind() != ServeError.Kind.NOT_DOWNLOADED) return null;
            } catch (UserError e) {
                return null;
            }
        } else {
            Fetched local = local(ctx, ref);
            if (local != null) return local;
        }
        String prefix = Commands.prefix("serve", null, ctx);
        HubGguf.Result r;
        try {
            r = HubGguf.get(ctx, new ModelScope.Options(ref.repo()), ref.quant());
        } catch (HubException | HubException.Unreachable e) {
            throw GgufMenuView.hubError(e, prefix);
        }
        if (r.menu() != null) throw GgufMenuView.show(out, r.menu(), prefix, prefix);
        if (r.model() == null) throw new UserError(prefix + ": " + ref.repo() + " holds no .gguf file (convert it with %to-gguf after %ms-download)");
        out.print(DownloadReport.summary(r.download()));
        String note = "using " + r.choice().quant().first().path() + " (" + r.choice().quant().name() + ") from " + r.download().dir()
                + (r.mmproj() == null ? "" : ", projector " + r.mmproj().getFileName());
        return new Fetched(new ModelLocator.Found(r.model(), note), r.mmproj());
    }

    /** The quantization's files from an earlier download (every split part there), or null. */
    static Fetched local(Context ctx, GgufQuants.Ref ref) {
        Path dir = ctx.home().resolve("models").resolve(ref.name());
        if (!Files.isDirectory(dir)) return null;
        List<RepoFile> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir, 3)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (rel.startsWith("._____temp") || !rel.toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) continue;
                files.add(new RepoFile(rel, Files.size(p), null, ""));
            }
        } catch (IOException e) {
            return null;
        }
        GgufQuants.Choice c;
        try {
            c = GgufQuants.choose(ref.repo(), files, ref.quant());
            c = GgufQuants.complete(ref.repo(), c.quant(), files);
        } catch (UserError e) {
            return null;
        }
        Path model = dir.resolve(c.quant().first().path());
        Path mmproj = c.mmproj() == null ? null : dir.resolve(c.mmproj().path());
        return new Fetched(new ModelLocator.Found(model, "using " + c.quant().first().path() + " (" + c.quant().name()
                + ") downloaded before to " + dir), mmproj);
    }
}
