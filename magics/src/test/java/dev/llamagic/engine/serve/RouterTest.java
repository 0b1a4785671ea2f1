package dev.llamagic.engine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The router's command line against the real llama-server's help, and its models directory of links. */
class RouterTest {
    @TempDir
    Path tmp;

    private static void gguf(Path p) throws Exception {
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    }

    @Test
    void aRouterIsGivenItsModelsDirectoryAndTheTtl() throws Exception {
        ServerFlags f = ServerFlags.parse(ServerFlagsTest.help(), null);
        ServerSpec spec = ServerSpec.router(List.of(tmp)).port(8080).ctx(512).ttl(30).alias("ignored").build();
        List<String> argv = f.argv(spec, new ArrayList<>());
        assertEquals(List.of("--models-dir", tmp.toString()), argv.subList(0, 2));
        assertTrue(String.join(" ", argv).contains("-c 512"), argv.toString());
        assertTrue(String.join(" ", argv).contains("--sleep-idle-seconds 30"), argv.toString());
        assertTrue(!argv.contains("-m") && !argv.contains("-a"), argv.toString());
        // one model with a TTL: the server sleeps when idle
        List<String> one = f.argv(ServerSpec.builder(tmp.resolve("m.gguf")).port(1).ttl(5).build(), new ArrayList<>());
        assertTrue(String.join(" ", one).startsWith("-m " + tmp.resolve("m.gguf")), one.toString());
        assertTrue(String.join(" ", one).contains("--sleep-idle-seconds 5"), one.toString());
        assertThrows(IllegalArgumentException.class, () -> ServerSpec.router(List.of(tmp)).ttl(0).build());
    }

    @Test
    void aBinaryWithoutRouterOrSleepSaysSoInOneLine() {
        ServerFlags old = ServerFlags.parse(ServerFlagsTest.OLD_HELP, null);
        ServeError e = assertThrows(ServeError.class, () -> old.argv(ServerSpec.router(List.of(tmp)).port(1).build(), new ArrayList<>()));
        assertTrue(e.getMessage().startsWith("this llama-server has no router mode (no --models-dir)"), e.getMessage());
        ServeError t = assertThrows(ServeError.class, () -> old.argv(ServerSpec.builder(tmp).port(1).ttl(3).build(), new ArrayList<>()));
        assertTrue(t.getMessage().startsWith("this llama-server cannot unload an idle model"), t.getMessage());
    }

    @Test
    void filesAreLinkedIntoADirectoryOfTheirOwnWithSplitModelsInSubdirectories() throws Exception {
        Path a = tmp.resolve("m/Alpha-Q4_K_M.gguf");
        Path s1 = tmp.resolve("m/big-00001-of-00002.gguf");
        Path s2 = tmp.resolve("m/big-00002-of-00002.gguf");
        gguf(a);
        gguf(s1);
        gguf(s2);
        gguf(tmp.resolve("m/other-00001-of-00002.gguf"));
        Context ctx = new Context(new RecordingNotebook(), Map.of("LLAMAGIC_HOME", tmp.resolve("home").toString()), "test", null);
        Path dir = Router.modelsDir(ctx, "duo", List.of(a, s1));
        assertEquals(ctx.home().resolve("cache/router/duo"), dir);
        assertEquals(a, Files.readSymbolicLink(dir.resolve("Alpha-Q4_K_M.gguf")));
        assertEquals(s2, Files.readSymbolicLink(dir.resolve("big/big-00002-of-00002.gguf")));
        assertTrue(!Files.exists(dir.resolve("big/other-00001-of-00002.gguf")));
        assertEquals(List.of("Alpha-Q4_K_M", "big"), Router.ids(List.of(dir)));
        assertEquals(List.of("Alpha-Q4_K_M", "big"), Router.ids(List.of(a, s1)));
        // started again with fewer models: the old links go, the files stay
        Router.modelsDir(ctx, "duo", List.of(a));
        assertEquals(List.of("Alpha-Q4_K_M"), Router.ids(List.of(dir)));
        assertTrue(Files.exists(s1));
        // a directory is used as it is
        assertEquals(tmp.resolve("m"), Router.modelsDir(ctx, "x", List.of(tmp.resolve("m"))));
        UserError twice = assertThrows(UserError.class, () -> Router.modelsDir(ctx, "y", List.of(a, a)));
        assertEquals("two models would both be called 'Alpha-Q4_K_M': rename one of the files", twice.getMessage());
        UserError empty = assertThrows(UserError.class, () -> Router.modelsDir(ctx, "z", List.of(Files.createDirectories(tmp.resolve("e")))));
        assertTrue(empty.getMessage().endsWith(" holds no .gguf model"), empty.getMessage());
    }
}
