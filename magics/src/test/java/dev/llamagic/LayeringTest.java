package dev.llamagic;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The house rule, checked on the sources: magic → engine → core → util, never back. A package may use the layers
 * below it and its own; the engine renders no HTML and parses no flags; serve never reaches into chat (chat is a
 * client of a URL). Comments and string literals are ignored, every other mention of a class counts (imports and
 * fully qualified names alike).
 */
class LayeringTest {
    /** Layer of each top-level package under {@code dev.llamagic}; higher may use lower. */
    static final Map<String, Integer> RANK = Map.of("util", 0, "core", 1, "engine", 2, "magic", 3, "cli", 4, "kernel", 5);

    static final Pattern REF = Pattern.compile("\\bdev\\.llamagic\\.([a-z]+)((?:\\.[a-z][a-z0-9]*)*)(?:\\.[A-Z*])");
    static final Pattern PACKAGE = Pattern.compile("^package dev\\.llamagic\\.([a-z]+)((?:\\.[a-z][a-z0-9]*)*);", Pattern.MULTILINE);

    /** A magic's name inside a string literal. */
    static final Pattern MAGIC_IN_STRING = Pattern.compile(
            "\"[^\"\n]*?(%%?(?:build-llama|ms-download|to-gguf|quantize|gguf-info|serve|chat|bench|gpu|dsw|eas|llamagic))\\b[^\"\n]*\"");

    record Violation(Path file, String from, String to, String why) {
        @Override
        public String toString() {
            return file + ": " + from + " -> " + to + " (" + why + ")";
        }
    }

    static Path sources() {
        Path p = Path.of("src/main/java");
        return Files.isDirectory(p) ? p : Path.of("magics/src/main/java");
    }

    /** Removes comments and string/char literals so that only code is scanned. */
    static String code(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/') {
                while (i < s.length() && s.charAt(i) != '\n') i++;
            } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                i = end < 0 ? s.length() : end + 3;
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < s.length() && s.charAt(i) != c) i += s.charAt(i) == '\\' ? 2 : 1;
                i++;
            } else {
                b.append(c);
                i++;
            }
        }
        return b.toString();
    }

    static List<Violation> violations(Path root) throws IOException {
        List<Violation> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String src = Files.readString(f);
                Matcher pm = PACKAGE.matcher(src);
                if (!pm.find()) {
                    out.add(new Violation(f, "?", "?", "no dev.llamagic package"));
                    continue;
                }
                String layer = pm.group(1);
                String from = layer + pm.group(2);
                Integer rank = RANK.get(layer);
                if (rank == null) {
                    out.add(new Violation(f, from, "?", "package outside the layers " + RANK.keySet()));
                    continue;
                }
                String code = code(src);
                Matcher m = REF.matcher(code);
                while (m.find()) {
                    String toLayer = m.group(1);
                    String to = toLayer + m.group(2);
                    Integer toRank = RANK.get(toLayer);
                    if (toRank == null) out.add(new Violation(f, from, to, "unknown layer"));
                    else if (toRank > rank) out.add(new Violation(f, from, to, "imports a layer above it"));
                    else if (from.equals("engine.serve") && to.equals("engine.chat"))
                        out.add(new Violation(f, from, to, "serve must not import chat: chat is a client of a URL"));
                }
                if (layer.equals("engine")) {
                    Matcher magic = MAGIC_IN_STRING.matcher(src);
                    while (magic.find()) {
                        out.add(new Violation(f, from, magic.group(1), "the engine names no magic (give a hint instead)"));
                    }
                }
                if (rank <= RANK.get("engine")) {
                    if (code.matches("(?s).*\\bimport\\s+picocli\\..*"))
                        out.add(new Violation(f, from, "picocli", "flags are parsed in the magic layer"));
                    if (code.matches("(?s).*\\bHtml\\.[a-z].*") && !from.equals("util") && !from.equals("core"))
                        out.add(new Violation(f, from, "util.Html", "the engine renders no HTML"));
                }
            }
        }
        return out;
    }

    @Test
    void noPackageUsesALayerAboveIt() throws IOException {
        List<Violation> v = violations(sources());
        assertEquals(List.of(), v.stream().map(Violation::toString).toList());
    }

    @Test
    void theScanSeesAViolation(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("dev/llamagic/engine/serve"));
        Files.writeString(dir.resolve("Bad.java"), """
                package dev.llamagic.engine.serve;
                // dev.llamagic.magic.serve.ServeCommand in a comment does not count
                import dev.llamagic.engine.chat.ChatClient;
                import picocli.CommandLine;
                class Bad { Object o = dev.llamagic.magic.serve.ServeCommand.class; String s = Html.escape("x");
                    String m = "run %build-llama first"; }
                """);
        List<String> why = violations(tmp).stream().map(Violation::why).toList();
        assertTrue(why.contains("serve must not import chat: chat is a client of a URL"), why.toString());
        assertTrue(why.contains("imports a layer above it"), why.toString());
        assertTrue(why.contains("flags are parsed in the magic layer"), why.toString());
        assertTrue(why.contains("the engine renders no HTML"), why.toString());
        assertTrue(why.contains("the engine names no magic (give a hint instead)"), why.toString());
        assertEquals(5, why.size(), why.toString());
    }
}
