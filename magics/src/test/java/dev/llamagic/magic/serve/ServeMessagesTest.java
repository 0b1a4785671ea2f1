package dev.llamagic.magic.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.engine.serve.LoadFailure;
import dev.llamagic.engine.serve.ServeError;
import dev.llamagic.engine.serve.ServeError.Kind;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's errors in {@code %serve}'s words (the kernel tests check some of these lines exactly), and the failure block. */
class ServeMessagesTest {
    private static String said(Kind kind, String subject, String message) {
        return ServeMessages.explain(new ServeError(kind, subject, message)).getMessage();
    }

    @Test
    void eachKindNamesTheOptionThatFixesIt() {
        assertEquals("port 8080 is in use by server 'tiny' (stop it with %serve --stop tiny, or use --port auto)",
                said(Kind.PORT_TAKEN_BY_SERVER, "tiny", "port 8080 is in use by server 'tiny'"));
        assertEquals("port 8080 is in use by process 42 (python3) (choose another --port, or --port auto)",
                said(Kind.PORT_TAKEN, "8080", "port 8080 is in use by process 42 (python3)"));
        assertEquals("a server named 'q' is already running (stop it with %serve --stop q, or choose another --name)",
                said(Kind.NAME_TAKEN, "q", "a server named 'q' is already running"));
        assertEquals("cannot listen on 1.2.3.4: nope (check --host)", said(Kind.BAD_HOST, "1.2.3.4", "cannot listen on 1.2.3.4: nope"));
        assertEquals("--port must be 1..65535 (or auto)", said(Kind.BAD_PORT, "0", "port 0 is not in 1..65535"));
        assertEquals("--fa takes on, off or auto (not 'yes')", said(Kind.BAD_FLASH_ATTENTION, "yes", "flash attention takes ..."));
        assertEquals("llama-server does not know the flag --flash-atention (did you mean --flash-attn?) (see its --help: %serve --server-help)",
                said(Kind.UNKNOWN_FLAG, "--flash-atention", "llama-server does not know the flag --flash-atention (did you mean --flash-attn?)"));
        assertEquals("--port is %serve's own option: give it before --, not as a raw flag",
                said(Kind.RESERVED_FLAG, "--port", "--port is set by llamagic itself, not by a raw flag"));
        assertEquals("llama-server was not ready after 5 s, so it was stopped (log: /l/serve-x.log; allow more with --timeout)",
                said(Kind.NOT_READY, "x", "llama-server was not ready after 5 s, so it was stopped (log: /l/serve-x.log)"));
        assertEquals("no .gguf file in /m/q: it holds safetensors weights — convert them first with %to-gguf q",
                said(Kind.NOT_CONVERTED, "q", "no .gguf file in /m/q: it holds safetensors weights — convert them to GGUF first"));
        assertEquals("/m/x.safetensors is not a GGUF file: safetensors weights — convert them first with %to-gguf",
                said(Kind.NOT_CONVERTED, null, "/m/x.safetensors is not a GGUF file: safetensors weights — convert them to GGUF first"));
        assertEquals("no model 'q': not a file or directory, and no download of that name under /h/models (give a .gguf path, "
                + "or fetch it first with %ms-download)", said(Kind.NOT_DOWNLOADED, "q",
                "no model 'q': not a file or directory, and no download of that name under /h/models (give a .gguf path, or download it first)"));
        ServeError other = new ServeError(Kind.OTHER, null, "something");
        assertSame(other, ServeMessages.explain(other));
    }

    @Test
    void aFailedLoadShowsWhyTheLinesAndTheLog() {
        LoadFailure f = new LoadFailure("broken.gguf", 1, "not a valid GGUF file",
                List.of("gguf_init_from_file_impl: invalid magic <x> & 'y'", "main: exiting"), Path.of("/h/logs/serve-broken.log"));
        assertEquals("llama-server exited while loading broken.gguf (exit code 1): not a valid GGUF file", f.headline());
        assertEquals("llama-server exited while loading broken.gguf (exit code 1): not a valid GGUF file (log: /h/logs/serve-broken.log)",
                f.error().getMessage());
        String html = LoadFailureView.html(f);
        assertTrue(html.startsWith("<div class=\"llamagic-serve-failed\""), html);
        assertTrue(html.contains("<b>llama-server exited while loading broken.gguf (exit code 1): not a valid GGUF file</b>"), html);
        assertTrue(html.contains("<pre style=\"font-size:11px\">gguf_init_from_file_impl: invalid magic &lt;x&gt; &amp; "), html);
        assertTrue(html.contains("full log: <code>/h/logs/serve-broken.log</code>"), html);
        assertEquals("llama-server exited while loading broken.gguf (exit code 1): not a valid GGUF file\n"
                + "gguf_init_from_file_impl: invalid magic <x> & 'y'\nmain: exiting\nfull log: /h/logs/serve-broken.log", LoadFailureView.text(f));
        LoadFailure unknown = new LoadFailure("m.gguf", 3, null, List.of(), Path.of("/l"));
        assertSame(unknown, ServeMessages.explain(unknown));
        String arch = LoadFailure.reason(List.of("CUDA error: no kernel image is available for execution on the device"), 1);
        assertEquals("the GPU's architecture is not in this build (rebuild llama.cpp for this GPU)", arch);
        assertEquals("llama-server exited while loading m.gguf (exit code 1): the GPU's architecture is not in this build "
                + "(rebuild with %build-llama for this GPU)", ServeMessages.explain(new LoadFailure("m.gguf", 1, arch, List.of(), Path.of("/l"))).headline());
        assertEquals("llama-server exited while loading m.gguf (exit code 3)", unknown.headline());
    }
}
