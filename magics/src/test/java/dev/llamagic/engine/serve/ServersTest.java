package dev.llamagic.engine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.Session;
import dev.llamagic.core.UserError;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry as a part of a session: one per session, its names and ports, and closing it stops its servers. */
class ServersTest {
    @TempDir
    Path home;

    private final Session session = new Session();

    @AfterEach
    void close() {
        session.close();
    }

    private Context ctx(Session s) {
        return new Context(new RecordingNotebook(), Map.of("LLAMAGIC_HOME", home.toString()), "test", null, s);
    }

    @Test
    void oneRegistryPerSession() {
        Session other = new Session();
        try {
            assertSame(Servers.of(ctx(session)), Servers.of(ctx(session)));
            assertNotSame(Servers.of(ctx(session)), Servers.of(ctx(other)));
        } finally {
            other.close();
        }
    }

    @Test
    void closingTheSessionStopsItsServers() throws Exception {
        Servers servers = Servers.of(ctx(session));
        LlamaServer a = SleepingServers.add(servers, "a", 1, home);
        LlamaServer b = SleepingServers.add(servers, "b", 2, home);
        assertTrue(a.alive() && b.alive());
        Servers elsewhere = new Servers();
        LlamaServer c = SleepingServers.add(elsewhere, "c", 3, home);
        session.close();
        assertTrue(SleepingServers.goneWithin(a, 10_000) && SleepingServers.goneWithin(b, 10_000), "closed with the session");
        assertEquals(List.of(), servers.all(), "and forgotten");
        assertTrue(c.alive(), "another registry's server is not touched");
        elsewhere.close();
        assertTrue(SleepingServers.goneWithin(c, 10_000));
    }

    @Test
    void findGetLatestAndStop() throws Exception {
        Servers servers = new Servers();
        try {
            assertTrue(servers.latest().isEmpty());
            assertEquals("no server named 'x' (none started)", assertThrows(UserError.class, () -> servers.get("x")).getMessage());
            LlamaServer a = SleepingServers.add(servers, "a", 1, home);
            Thread.sleep(5);
            LlamaServer b = SleepingServers.add(servers, "b", 2, home);
            assertSame(a, servers.get("a"));
            assertEquals("no server named 'x' (known: a, b)", assertThrows(UserError.class, () -> servers.get("x")).getMessage());
            assertEquals(LlamaServer.State.LOADING, b.state());
            assertSame(b, servers.latest().orElseThrow(), "the newest loading one (none is ready)");
            assertEquals(List.of(b), servers.stop("b"));
            assertTrue(SleepingServers.goneWithin(b, 10_000));
            assertEquals(LlamaServer.State.STOPPED, b.state());
            assertSame(a, servers.latest().orElseThrow());
            assertEquals(List.of("a"), servers.all().stream().map(LlamaServer::name).toList());
            assertEquals(List.of(a), servers.stop("all"));
            assertEquals(List.of(), servers.all());
        } finally {
            servers.close();
        }
    }

    @Test
    void namesAreUniqueAmongRunningServers() throws Exception {
        Servers servers = new Servers();
        try {
            LlamaServer m = SleepingServers.add(servers, "m", 1, home);
            assertEquals("m-2", servers.uniqueName("m", false), "a derived name gets a number");
            ServeError taken = assertThrows(ServeError.class, () -> servers.uniqueName("m", true));
            assertEquals(ServeError.Kind.NAME_TAKEN, taken.kind());
            assertEquals("m", taken.subject());
            assertEquals("a server named 'm' is already running", taken.getMessage());
            assertEquals("'all' cannot name a server (it means every server)",
                    assertThrows(UserError.class, () -> servers.uniqueName("all", true)).getMessage());
            assertThrows(UserError.class, () -> servers.uniqueName("a b", true));
            m.stop();
            assertEquals("m", servers.uniqueName("m", true), "a stopped server's name is free again");
            assertTrue(servers.find("m").isEmpty(), "and the stopped one is forgotten");
        } finally {
            servers.close();
        }
    }

    @Test
    void aBusyPortIsRefusedWithItsOwner() throws Exception {
        Servers servers = new Servers();
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int ours = busy.getLocalPort() == 65535 ? 65534 : busy.getLocalPort() + 1;
            SleepingServers.add(servers, "tiny", ours, home);
            ServeError e = assertThrows(ServeError.class, () -> servers.choosePort("127.0.0.1", ours));
            assertEquals(ServeError.Kind.PORT_TAKEN_BY_SERVER, e.kind());
            assertEquals("port " + ours + " is in use by server 'tiny'", e.getMessage());
            assertEquals("tiny", e.subject());

            int theirs = busy.getLocalPort();
            e = assertThrows(ServeError.class, () -> servers.choosePort("127.0.0.1", theirs));
            assertEquals(ServeError.Kind.PORT_TAKEN, e.kind());
            assertTrue(e.getMessage().startsWith("port " + theirs + " is in use by process " + ProcessHandle.current().pid()),
                    e.getMessage());

            assertEquals(ServeError.Kind.BAD_PORT, assertThrows(ServeError.class, () -> servers.choosePort("127.0.0.1", 70000)).kind());
            int free = servers.choosePort("127.0.0.1", null);
            assertTrue(free > 0 && free != ours && free != theirs);
        } finally {
            servers.close();
        }
    }

    @Test
    void startRefusesABadModelOrFlashAttentionBeforeLookingForABinary() throws Exception {
        Context ctx = ctx(session);
        Path missing = home.resolve("missing.gguf");
        assertEquals("no such file: " + missing, assertThrows(UserError.class,
                () -> Servers.start(ctx, ServerSpec.builder(missing).build())).getMessage());
        Path zip = Files.write(home.resolve("z.gguf"), new byte[] {'P', 'K', 3, 4});
        assertEquals(zip + " is not a GGUF file (it is a zip archive)", assertThrows(UserError.class,
                () -> Servers.start(ctx, ServerSpec.builder(zip).build())).getMessage());
        Path gguf = Files.write(home.resolve("g.gguf"), new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0});
        ServeError fa = assertThrows(ServeError.class, () -> Servers.start(ctx, ServerSpec.builder(gguf).flashAttention("yes").build()));
        assertEquals(ServeError.Kind.BAD_FLASH_ATTENTION, fa.kind());
        assertEquals("flash attention takes on, off or auto (not 'yes')", fa.getMessage());
        assertEquals(List.of(), Servers.of(ctx).all());
    }

    @Test
    void aMistypedPresetIsSaidFirstEvenWithoutABuildOrAModel() {
        Context ctx = ctx(session);
        Path missing = home.resolve("missing.gguf");
        assertEquals("unknown preset 'qwen4'; did you mean qwen3? (known: " + String.join(", ", Presets.NAMES) + ")",
                assertThrows(UserError.class, () -> Servers.start(ctx, ServerSpec.builder(missing).preset("qwen4").build())).getMessage());
    }
}
