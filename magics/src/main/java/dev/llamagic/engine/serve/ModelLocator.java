package dev.llamagic.engine.serve;

import dev.llamagic.core.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns what the user typed after {@code %serve} into one GGUF file: a .gguf path, a directory (the single
 * or best .gguf inside), or the name of a download under {@code <LLAMAGIC_HOME>/models}.
 */
public final class ModelLocator {
    private ModelLocator() {}

    /** The file chosen, and a note when a choice was made (null otherwise). */
    public record Found(Path file, String note) {}

    /** Preferred quantizations when a directory holds several GGUFs: small and good first. */
    private static final List<String> PREFERENCE = List.of("Q4_K_M", "Q5_K_M", "Q4_K_S", "Q5_K_S", "Q6_K", "Q8_0",
            "Q4_0", "Q3_K_M", "IQ4_XS", "BF16", "F16", "F32");
    /** A split GGUF's part: {@code name-00001-of-00003.gguf} (groups: name, part, parts). */
    private static final Pattern SPLIT = Pattern.compile("^(.*)-(\\d{5})-of-(\\d{5})\\.gguf$");

    public static Found locate(String arg, Path home) {
        Path p = Path.of(expandHome(arg));
        if (Files.isRegularFile(p)) return new Found(checkGguf(p.toAbsolutePath()), null);
        if (Files.isDirectory(p)) return inDir(p.toAbsolutePath(), arg);
        Path models = home.resolve("models");
        for (Path c : candidates(arg, models)) {
            if (Files.isRegularFile(c)) return new Found(checkGguf(c), null);
            if (Files.isDirectory(c)) {
                Found f = inDir(c, arg);
                return new Found(f.file(), "'" + arg + "' is the download at " + c + (f.note() == null ? "" : "; " + f.note()));
            }
        }
        if (arg.endsWith(".gguf") || arg.startsWith("/") || arg.startsWith("./") || arg.startsWith("~")) {
            throw new UserError("no such file: " + p.toAbsolutePath());
        }
        throw new ServeError(ServeError.Kind.NOT_DOWNLOADED, arg, "no model '" + arg + "': not a file or directory, and no download of that name under "
                + models + " (give a .gguf path, or download it first)");
    }

    private static String expandHome(String arg) {
        if (arg.equals("~") || arg.startsWith("~/")) return System.getProperty("user.home") + arg.substring(1);
        return arg;
    }

    /** Where a download named {@code arg} may be: models/ARG, models/ORG/NAME with '.'→'___', or a dir or file of that name. */
    static List<Path> candidates(String arg, Path models) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(models)) return out;
        String rel = arg.replaceAll("^/+", "");
        out.add(models.resolve(rel));
        out.add(models.resolve(rel.replace(".", "___")));
        String last = rel.contains("/") ? rel.substring(rel.lastIndexOf('/') + 1) : rel;
        String lower = last.toLowerCase(Locale.ROOT);
        try (Stream<Path> walk = Files.walk(models, 4)) {
            walk.filter(q -> !q.equals(models)).filter(q -> {
                String n = q.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.equals(lower) || n.equals(lower.replace(".", "___")) || n.equals(lower + ".gguf");
            }).sorted(Comparator.comparingInt(Path::getNameCount)).forEach(out::add);
        } catch (IOException e) {
            // unreadable models dir: nothing found there
        }
        return out;
    }

    static Found inDir(Path dir, String arg) {
        List<Path> ggufs;
        try (Stream<Path> walk = Files.walk(dir, 3)) {
            ggufs = walk.filter(Files::isRegularFile)
                    .filter(q -> q.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf"))
                    .filter(q -> !q.getFileName().toString().toLowerCase(Locale.ROOT).contains("mmproj"))
                    .filter(q -> !q.toString().contains("/._____temp/"))
                    .filter(q -> {
                        Matcher m = SPLIT.matcher(q.getFileName().toString());
                        return !m.matches() || m.group(2).equals("00001");
                    })
                    .sorted().toList();
        } catch (IOException e) {
            throw new UserError("cannot read " + dir + ": " + e.getMessage());
        }
        if (ggufs.isEmpty()) {
            boolean safetensors;
            try (Stream<Path> s = Files.walk(dir, 2)) {
                safetensors = s.anyMatch(q -> q.getFileName().toString().endsWith(".safetensors"));
            } catch (IOException e) {
                safetensors = false;
            }
            if (safetensors) {
                throw new ServeError(ServeError.Kind.NOT_CONVERTED, arg, "no .gguf file in " + dir
                        + ": it holds safetensors weights — convert them to GGUF first");
            }
            throw new UserError("no .gguf file in " + dir);
        }
        if (ggufs.size() == 1) return new Found(checkGguf(ggufs.get(0)), "using " + ggufs.get(0).getFileName() + " from " + dir);
        Path best = ggufs.stream().min(Comparator.comparingInt(ModelLocator::rank).thenComparing(Path::toString)).orElseThrow();
        List<String> others = ggufs.stream().filter(q -> !q.equals(best)).map(q -> q.getFileName().toString()).toList();
        return new Found(checkGguf(best), "using " + best.getFileName() + " from " + dir + " (also there: "
                + String.join(", ", others) + "; pass a file to choose)");
    }

    private static int rank(Path p) {
        String n = p.getFileName().toString().toUpperCase(Locale.ROOT);
        for (int i = 0; i < PREFERENCE.size(); i++) {
            if (n.contains(PREFERENCE.get(i))) return i;
        }
        return PREFERENCE.size();
    }

    /** Fails in one line unless {@code file} starts with the GGUF magic. */
    /** The model's bytes on disk: the file, or every part of a split GGUF; 0 when a part is missing. */
    public static long totalBytes(Path file) {
        if (file == null || !Files.isRegularFile(file)) return 0;
        try {
            Matcher m = SPLIT.matcher(file.getFileName().toString());
            if (!m.matches()) return Files.size(file);
            int parts = Integer.parseInt(m.group(3));
            long sum = 0;
            for (int i = 1; i <= parts; i++) {
                Path part = file.resolveSibling(String.format(Locale.ROOT, "%s-%05d-of-%05d.gguf", m.group(1), i, parts));
                if (!Files.isRegularFile(part)) return 0;
                sum += Files.size(part);
            }
            return sum;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    public static Path checkGguf(Path file) {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(8);
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage());
        }
        if (head.length >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') return file;
        String name = file.getFileName().toString();
        String hint;
        if (name.endsWith(".safetensors")) {
            throw new ServeError(ServeError.Kind.NOT_CONVERTED, null, file + " is not a GGUF file: safetensors weights — convert them to GGUF first");
        }
        if (head.length >= 2 && head[0] == 'P' && head[1] == 'K') hint = " (it is a zip archive)";
        else if (head.length == 0) hint = " (it is empty — an interrupted download?)";
        else if (head.length >= 1 && head[0] == '{') hint = " (it is JSON text)";
        else hint = " (it does not start with the GGUF magic bytes)";
        throw new UserError(file + " is not a GGUF file" + hint);
    }
}
