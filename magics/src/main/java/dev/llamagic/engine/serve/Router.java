package dev.llamagic.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * llama-server's router mode: one process at one URL serving several models, each started on its first request
 * (the request's {@code model}: the file name without {@code .gguf}) and, with a TTL, put to sleep (its memory freed)
 * when idle. The models are llama-server's {@code --models-dir}: the user's directory, or one of links to the
 * files given, made under {@code <LLAMAGIC_HOME>/cache/router/<name>}.
 *
 * <pre>{@code
 * var r = Servers.start(ctx, ServerSpec.router(List.of(a, b)).name("duo").ttl(600).build());
 * Router.models(r);   // [Model[id=a, status=loaded], Model[id=b, status=unloaded]]
 * }</pre>
 */
public final class Router {
    private static final Pattern SHARD = Pattern.compile("(.+)-\\d{5}-of-(\\d{5})\\.gguf", Pattern.CASE_INSENSITIVE);

    private Router() {}

    /** One model of a router: its id (what a request's {@code model} names) and status ({@code loaded}, {@code unloaded}, {@code loading}, {@code sleeping}...). */
    public record Model(String id, String status) {}

    /** The models a running router offers ({@code GET /models}), with their status. */
    public static List<Model> models(LlamaServer router) {
        JsonNode j = router.getJson("/models");
        List<Model> out = new ArrayList<>();
        for (JsonNode m : j.path("data")) {
            JsonNode st = m.path("status");
            String status = st.isTextual() ? st.asText() : st.path("value").asText("?");
            if (st.path("failed").asBoolean(false)) status = "failed (exit " + st.path("exit_code").asText("?") + ")";
            out.add(new Model(m.path("id").asText(), status));
        }
        return out;
    }

    /** The model ids a router will offer for {@code models} (one directory, or files). */
    public static List<String> ids(List<Path> models) {
        List<String> out = new ArrayList<>();
        for (Path p : models) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    for (Path f : s.sorted().toList()) {
                        String n = f.getFileName().toString();
                        if (Files.isDirectory(f)) out.add(n);
                        else if (n.endsWith(".gguf") && !n.startsWith("mmproj")) out.add(idOf(f));
                    }
                } catch (IOException e) {
                    throw new UserError("cannot list " + p + ": " + e.getMessage());
                }
            } else {
                out.add(idOf(p));
            }
        }
        return out;
    }

    /** A file's model id: its name without {@code .gguf} (and without the split suffix of a split model). */
    static String idOf(Path gguf) {
        String n = gguf.getFileName().toString();
        Matcher m = SHARD.matcher(n);
        if (m.matches()) return m.group(1);
        return n.replaceFirst("(?i)\\.gguf$", "");
    }

    /**
     * Checks the models and returns llama-server's models directory for them: the directory given, or a fresh
     * directory of links to the files given (a split model's shards in a sub-directory of their own).
     */
    static Path modelsDir(Context ctx, String name, List<Path> models) {
        if (models.size() == 1 && Files.isDirectory(models.get(0))) {
            Path dir = models.get(0).toAbsolutePath();
            if (ids(List.of(dir)).isEmpty()) throw new UserError(dir + " holds no .gguf model");
            return dir;
        }
        Set<String> seen = new LinkedHashSet<>();
        for (Path p : models) {
            Path f = p.toAbsolutePath();
            if (!Files.exists(f)) throw new UserError("no such file: " + f);
            if (Files.isDirectory(f)) throw new UserError(f + " is a directory: give one directory of models, or .gguf files");
            ModelLocator.checkGguf(f);
            if (!seen.add(idOf(f))) throw new UserError("two models would both be called '" + idOf(f) + "': rename one of the files");
        }
        Path dir = ctx.home().resolve("cache").resolve("router").resolve(name);
        try {
            deleteLinks(dir);
            Files.createDirectories(dir);
            for (Path p : models) {
                Path f = p.toAbsolutePath().normalize();
                Matcher m = SHARD.matcher(f.getFileName().toString());
                if (m.matches()) {
                    Path sub = Files.createDirectories(dir.resolve(m.group(1)));
                    try (Stream<Path> s = Files.list(f.getParent())) {
                        for (Path shard : s.filter(x -> x.getFileName().toString().startsWith(m.group(1) + "-")
                                && SHARD.matcher(x.getFileName().toString()).matches()).toList()) {
                            Files.createSymbolicLink(sub.resolve(shard.getFileName()), shard);
                        }
                    }
                } else {
                    Files.createSymbolicLink(dir.resolve(idOf(f) + ".gguf"), f);
                }
            }
        } catch (IOException e) {
            throw new UserError("cannot make the router's models directory " + dir + ": " + e.getMessage());
        }
        return dir;
    }

    /** Removes the links (and link sub-directories) a previous start made; never a real file. */
    private static void deleteLinks(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (Files.isSymbolicLink(p)) Files.delete(p);
                else if (Files.isDirectory(p)) {
                    deleteLinks(p);
                    try (Stream<Path> left = Files.list(p)) {
                        if (left.findAny().isEmpty()) Files.delete(p);
                    }
                }
            }
        }
    }

    /** The flag that hands llama-server its models directory; a one-line error for a binary without a router. */
    static List<String> modelsFlag(ServerFlags flags, ServerSpec spec) {
        if (!flags.knows("--models-dir")) {
            throw new ServeError(ServeError.Kind.OTHER, null, "this llama-server has no router mode (no --models-dir): "
                    + "rebuild llama.cpp from a newer source to serve several models at one URL");
        }
        return List.of("--models-dir", spec.routerModels().get(0).toString());
    }
}
