package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayoutTest {
    @Test
    void localDirLayoutIsTheOfficialOne() {
        Layout l = Layout.localDir(Path.of("/m/Qwen3-0.6B"), "Qwen", "Qwen3-0.6B");
        assertEquals(Path.of("/m/Qwen3-0.6B/sub/a.bin"), l.target("sub/a.bin"));
        assertEquals(Path.of("/m/Qwen3-0.6B/._____temp/sub/a.bin"), l.staging("sub/a.bin"));
    }

    @Test
    void cacheLayoutMasksDotsInTheName() {
        Layout l = Layout.cacheDir(Path.of("/c"), "Qwen", "Qwen2.5-0.5B");
        assertEquals(Path.of("/c/Qwen/Qwen2___5-0___5B"), l.root());
        assertEquals(Path.of("/c/._____temp/Qwen/Qwen2.5-0.5B"), l.temp());
        assertEquals(Path.of("/home/u/.cache/modelscope/hub/models"), Layout.officialModelsCache(Map.of("HOME", "/home/u")));
        assertEquals(Path.of("/x/models"), Layout.officialModelsCache(Map.of("MODELSCOPE_CACHE", "/x")));
    }

    @Test
    void pathsEscapingTheTargetAreRefused() {
        Layout l = Layout.localDir(Path.of("/m/x"), "o", "x");
        for (String bad : List.of("../evil", "a/../../evil", "/etc/passwd", "a//b", "", "./a", "a\\..\\b", "C:/x")) {
            assertNull(l.target(bad), bad);
        }
    }

    @Test
    void officialIndexRoundTripsThroughOurPickle(@TempDir Path dir) throws Exception {
        Layout l = Layout.cacheDir(dir, "acme", "m.1");
        Files.createDirectories(l.root());
        LegacyCache.write(l, List.of(new RepoFile("a.json", 3, null, "c0ffee"), new RepoFile("b/c.bin", 9, null, "c0ffee")), "master", 1745906000);
        LegacyCache.write(l, List.of(new RepoFile("a.json", 3, null, "beef")), "master", 1745906000);
        List<Map<String, String>> msc = LegacyCache.readMsc(l.root());
        assertEquals(2, msc.size());
        assertEquals(Map.of("Path", "b/c.bin", "Revision", "c0ffee"), msc.get(0));
        assertEquals(Map.of("Path", "a.json", "Revision", "beef"), msc.get(1));
        assertEquals("Revision:master,CreatedAt:1745906000", Files.readString(l.root().resolve(".mv")));
        Map<?, ?> mdl = (Map<?, ?>) LegacyCache.unpickle(Files.readAllBytes(l.root().resolve(".mdl")));
        assertEquals("acme/m___1", mdl.get("id"));
    }

    @Test
    void readsAProtocol4PickleAsPythonWritesIt() {
        // pickle.dumps([{'Path': 'config.json', 'Revision': 'abc'}], protocol=4), as Python 3.11 writes it
        byte[] dump = java.util.HexFormat.of().parseHex(
                "8004952e000000000000005d947d94288c0450617468948c0b636f6e6669672e6a736f6e948c085265766973696f6e948c036162639475612e");
        Object o = LegacyCache.unpickle(dump);
        assertEquals(List.of(Map.of("Path", "config.json", "Revision", "abc")), o);
    }
}
