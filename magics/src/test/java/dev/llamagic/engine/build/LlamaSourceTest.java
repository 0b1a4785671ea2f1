package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sources from a real (tiny) git repository: as a file:// URL, as a bundle, as a directory. */
class LlamaSourceTest {
    @TempDir
    Path tmp;
    Path repo;
    String v1;
    String v2;
    Context ctx;

    private String git(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString(), "-c", "user.name=t", "-c", "user.email=t@t"));
        cmd.addAll(List.of(args));
        ChildProcess.Result r = ChildProcess.run(cmd, null, Duration.ofSeconds(30));
        assertTrue(r.ok(), r.output());
        return r.output().trim();
    }

    @BeforeEach
    void repo() throws Exception {
        repo = Files.createDirectories(tmp.resolve("llama.cpp"));
        git(repo, "init", "-q", "-b", "master");
        Files.writeString(repo.resolve("CMakeLists.txt"), "project(x)\n");
        git(repo, "add", ".");
        git(repo, "commit", "-qm", "one");
        git(repo, "tag", "v1");
        v1 = git(repo, "rev-parse", "HEAD");
        Files.writeString(repo.resolve("CMakeLists.txt"), "project(y)\n");
        git(repo, "commit", "-qam", "two");
        v2 = git(repo, "rev-parse", "HEAD");
        ctx = new Context(new RecordingNotebook(), Map.of("LLAMAGIC_HOME", tmp.resolve("home").toString(),
                "PATH", System.getenv("PATH")), "test", null);
    }

    @Test
    void aUrlIsShallowFetchedAtTheRefAndReused() throws Exception {
        LlamaSource s = LlamaSource.parse("file://" + repo, "v1");
        assertEquals(LlamaSource.Kind.URL, s.kind());
        assertTrue(s.existing(ctx).isEmpty(), "nothing fetched yet");
        LlamaSource.Checkout c = s.checkout(ctx);
        assertEquals(v1, c.commit());
        assertEquals("project(x)\n", Files.readString(c.dir().resolve("CMakeLists.txt")));
        assertTrue(c.dir().startsWith(tmp.resolve("home/llama.cpp/src")), c.dir().toString());
        assertTrue(c.dir().getFileName().toString().startsWith("llama.cpp@v1-"), c.dir().toString());
        assertEquals("1", git(c.dir(), "rev-list", "--count", "HEAD"), "shallow");
        // the second time: no fetch, the same checkout
        assertEquals(c, s.existing(ctx).orElseThrow());
        assertEquals(c, s.checkout(ctx));
        assertEquals(v2, LlamaSource.parse("file://" + repo, null).checkout(ctx).commit(), "no ref: HEAD");
        UserError bad = assertThrows(UserError.class, () -> LlamaSource.parse("file://" + repo, "nope").checkout(ctx));
        assertTrue(bad.getMessage().startsWith("fetching nope from file://"), bad.getMessage());
        Path nope = tmp.resolve("home/llama.cpp/src").resolve(LlamaSource.parse("file://" + repo, "nope").urlDirName());
        assertFalse(Files.exists(nope) || Files.exists(nope.resolveSibling(nope.getFileName() + ".part")), "nothing half-made is left");
    }

    @Test
    void aBundleIsReadWithoutCloningThenClonedOnce() throws Exception {
        Path bundle = tmp.resolve("x.bundle");
        git(repo, "bundle", "create", bundle.toString(), "--all");
        LlamaSource s = LlamaSource.parse(bundle.toString(), null);
        assertEquals(LlamaSource.Kind.BUNDLE, s.kind());
        LlamaSource.Checkout known = s.existing(ctx).orElseThrow();
        assertEquals(v2, known.commit());
        assertFalse(Files.exists(known.dir()));
        LlamaSource.Checkout c = s.checkout(ctx);
        assertEquals(known, c);
        assertEquals(v2, git(c.dir(), "rev-parse", "HEAD"));
        assertEquals(v1, LlamaSource.parse(bundle.toString(), "v1").checkout(ctx).commit());
        UserError e = assertThrows(UserError.class, () -> LlamaSource.parse(bundle.toString(), "v9").existing(ctx));
        assertTrue(e.getMessage().contains("has no ref v9 (it has: "), e.getMessage());
        Path notBundle = Files.writeString(tmp.resolve("junk.bundle"), "junk");
        assertThrows(UserError.class, () -> LlamaSource.parse(notBundle.toString(), null).existing(ctx));
    }

    @Test
    void aDirectoryIsUsedInPlace() throws Exception {
        LlamaSource s = LlamaSource.parse(repo.toString(), null);
        assertEquals(LlamaSource.Kind.DIR, s.kind());
        assertEquals(new LlamaSource.Checkout(repo, v2), s.checkout(ctx));
        Files.writeString(repo.resolve("CMakeLists.txt"), "project(z)\n");
        assertEquals(v2 + "-dirty", s.checkout(ctx).commit());
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        Files.writeString(plain.resolve("CMakeLists.txt"), "");
        assertTrue(LlamaSource.parse(plain.toString(), null).checkout(ctx).commit().startsWith("local-"));
    }

    @Test
    void mistakesAreOneLine() {
        UserError e = assertThrows(UserError.class, () -> LlamaSource.parse(tmp.resolve("missing").toString(), null));
        assertTrue(e.getMessage().startsWith("the source " + tmp.resolve("missing") + " is neither"), e.getMessage());
        assertTrue(((Wording.Error) e).in(Map.of("source", "--source")).startsWith("--source " + tmp.resolve("missing")), e.getMessage());
        UserError e2 = assertThrows(UserError.class, () -> LlamaSource.parse(tmp.toString(), null));
        assertTrue(e2.getMessage().contains("without CMakeLists.txt"), e2.getMessage());
        LlamaSource up = LlamaSource.parse(null, null);
        assertEquals(LlamaSource.UPSTREAM, up.spec());
        assertEquals(LlamaSource.DEFAULT_REF, up.ref());
        assertEquals(LlamaSource.DEFAULT_REF, LlamaSource.parse(LlamaSource.UPSTREAM, null).ref());
        assertEquals("llama.cpp@" + LlamaSource.DEFAULT_REF, up.urlDirName());
    }
}
