package dev.llamagic.magic.serve;

import dev.llamagic.core.UserError;
import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.ModelLocator;
import dev.llamagic.engine.serve.Router;
import dev.llamagic.engine.serve.ServerFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code %serve --router} and {@code --ttl}: the models named, the options checked, the lines shown. */
final class RouterView {
    private RouterView() {}

    /**
     * With {@code --router}: the models named ({@code model} and the words after it up to the first raw flag, which
     * are taken off {@code raw}); without: empty.
     */
    static List<String> models(String model, List<String> raw, boolean router) {
        if (!router) return List.of();
        List<String> out = new ArrayList<>(List.of(model));
        while (!raw.isEmpty() && !ServerFlags.isFlag(raw.get(0))) out.add(raw.remove(0));
        return out;
    }

    /** The files (or the one directory) the router serves. */
    static List<Path> locate(List<String> models, Path home) {
        if (models.size() == 1) {
            Path p = Path.of(models.get(0));
            if (Files.isDirectory(p)) return List.of(p.toAbsolutePath());
        }
        List<Path> out = new ArrayList<>();
        for (String m : models) out.add(ModelLocator.locate(m, home).file());
        return out;
    }

    /** {@code --ttl}'s value: positive seconds, or null when not given. */
    static Integer ttl(String ttl) {
        if (ttl == null) return null;
        try {
            int v = Integer.parseInt(ttl.strip());
            if (v > 0) return v;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new UserError("%serve: --ttl takes a positive number of seconds (not '" + ttl + "')");
    }

    /** The line after a router is up: where, which models, how to pick one. */
    static String ready(LlamaServer s) {
        List<String> ids = Router.ids(s.spec().routerModels());
        String first = ids.isEmpty() ? "NAME" : ids.get(0);
        return "router '" + s.name() + "' ready at " + s.baseUrl() + " (OpenAI API: " + s.baseUrl() + "/v1, pid " + s.pid()
                + ") serving " + ids.size() + " model" + (ids.size() == 1 ? "" : "s") + ": " + String.join(", ", ids)
                + " — each loads on its first request" + (s.spec().ttl() == null ? "" : " and unloads after " + s.spec().ttl() + " s idle")
                + "; %chat --model " + first + " \"...\" talks to one; %serve --stop " + s.name() + " stops it";
    }

    /** The list's model cell for a router: each model and its state. */
    static String modelsCell(LlamaServer s) {
        if (s.state() != LlamaServer.State.READY) return "router: " + String.join(", ", Router.ids(s.spec().routerModels()));
        try {
            List<String> parts = new ArrayList<>();
            for (Router.Model m : Router.models(s)) parts.add(m.id() + " (" + m.status() + ")");
            return "router: " + String.join(", ", parts);
        } catch (UserError e) {
            return "router: " + String.join(", ", Router.ids(s.spec().routerModels()));
        }
    }
}
