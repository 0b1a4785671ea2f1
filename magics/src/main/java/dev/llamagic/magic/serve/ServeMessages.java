package dev.llamagic.magic.serve;

import dev.llamagic.core.UserError;
import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.LoadFailure;
import dev.llamagic.engine.serve.ServeError;
import dev.llamagic.engine.serve.Servers;

/**
 * The serve engine's errors as the magics say them: the engine says what went wrong, these add how to fix it
 * with {@code %serve}'s options. {@code %chat} and {@code %bench} find servers through here too.
 */
public final class ServeMessages {
    private ServeMessages() {}

    /** {@code e} in the magic's words (same kind of error, a message naming the option that fixes it). */
    public static UserError explain(ServeError e) {
        String m = e.getMessage();
        String s = e.subject();
        String worded = switch (e.kind()) {
            case PORT_TAKEN_BY_SERVER -> m + " (stop it with %serve --stop " + s + ", or use --port auto)";
            case PORT_TAKEN -> m + " (choose another --port, or --port auto)";
            case NAME_TAKEN -> m + " (stop it with %serve --stop " + s + ", or choose another --name)";
            case BAD_HOST -> m + " (check --host)";
            case BAD_PORT -> "--port must be 1..65535 (or auto)";
            case BAD_FLASH_ATTENTION -> "--fa takes on, off or auto (not '" + s + "')";
            case UNKNOWN_FLAG -> m + " (see its --help: %serve --server-help)";
            case RESERVED_FLAG -> s + " is %serve's own option: give it before --, not as a raw flag";
            case NOT_READY -> (m.endsWith(")") ? m.substring(0, m.length() - 1) + "; allow more with --timeout)"
                    : m + " (allow more with --timeout)");
            case NOT_CONVERTED -> m.replace("convert them to GGUF first", "convert them first with %to-gguf" + (s == null ? "" : " " + s));
            case NOT_DOWNLOADED -> m.replace("(give a .gguf path, or download it first)", "(give a .gguf path, or fetch it first with %ms-download)");
            case OTHER -> m;
        };
        return worded.equals(m) ? e : new UserError(worded, e);
    }

    /** A failed load in the magic's words (a rebuild means {@code %build-llama}). */
    public static LoadFailure explain(LoadFailure f) {
        return f.reason() == null ? f : f.withReason(f.reason().replace("(rebuild llama.cpp for this GPU)", "(rebuild with %build-llama for this GPU)"));
    }

    /** The server {@code name} of {@code servers}, or a one-line error saying how to start one. */
    public static LlamaServer get(Servers servers, String name) {
        LlamaServer s = servers.find(name).orElse(null);
        if (s != null) return s;
        var all = servers.all();
        throw new UserError("no server named '" + name + "'" + (all.isEmpty() ? " (none started: %serve <model.gguf>)"
                : " (known: " + String.join(", ", all.stream().map(LlamaServer::name).toList()) + ")"));
    }

    /** Fails in one line unless {@code s} is ready (loading: wait; stopped or failed: restart it). */
    public static void requireReady(LlamaServer s) {
        LlamaServer.State st = s.state();
        if (st != LlamaServer.State.READY) {
            throw new UserError("server '" + s.name() + "' is " + s.stateText() + (st == LlamaServer.State.LOADING
                    ? ": wait until it is ready" : ": start it again with %serve --restart " + s.name()));
        }
    }
}
