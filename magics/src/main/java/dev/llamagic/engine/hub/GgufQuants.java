package dev.llamagic.engine.hub;

import dev.llamagic.core.UserError;
import dev.llamagic.util.Similar;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The quantizations of a GGUF repo, read off its file names ({@code Qwen3-4B-Q4_K_M.gguf},
 * {@code qwen3-8b-q8_0.gguf}, {@code Qwen3-30B-A3B-Q4_K_M-00001-of-00003.gguf}): grouping, matching the one the
 * user named (case-insensitive, whole token: Q4_K_M is not Q4_K_S), and the multimodal projector that goes with
 * it. Pure functions of the listing.
 */
public final class GgufQuants {
    private GgufQuants() {}

    /** {@code owner/name} and the quantization after {@code :} (null when none was given). */
    public record Ref(String repo, String quant) {
        public String owner() { return repo.substring(0, repo.indexOf('/')); }
        public String name() { return repo.substring(repo.indexOf('/') + 1); }
    }

    /** One quantization: its canonical name (upper case), its files (split parts in order) and their total size. */
    public record Quant(String name, List<RepoFile> files, long bytes) {
        /** The file to load: the single file or the first split part. */
        public RepoFile first() {
            return files.get(0);
        }
    }

    /** What to download for one quantization: its files and a projector (null when the repo has none). */
    public record Choice(Quant quant, RepoFile mmproj) {
        public List<String> paths() {
            List<String> out = new ArrayList<>(quant.files().stream().map(RepoFile::path).toList());
            if (mmproj != null) out.add(mmproj.path());
            return out;
        }

        public long bytes() {
            return quant.bytes() + (mmproj == null ? 0 : mmproj.size());
        }
    }

    private static final Pattern REF = Pattern.compile("^([A-Za-z0-9][A-Za-z0-9_.-]*)/([A-Za-z0-9][A-Za-z0-9_.-]*)(?::([A-Za-z0-9_.-]+))?$");
    private static final Pattern SPLIT = Pattern.compile("^(.*)-(\\d{5})-of-(\\d{5})$");
    /** One dash- or dot-separated piece of a name that is a quantization. */
    private static final Pattern TOKEN = Pattern.compile(
            "(?i)^(?:I?Q[1-8](?:_[A-Z0-9]+)*|TQ[12]_0|BF16|F16|FP16|F32|FP32|MXFP4(?:_MOE)?|FP8)$");

    /**
     * {@code owner/name[:QUANT]} as typed, or empty when {@code arg} is not of that form (a path such as
     * {@code ./x/y} or {@code /a/b}, or anything with a third segment).
     */
    public static Optional<Ref> parse(String arg) {
        if (arg == null) return Optional.empty();
        Matcher m = REF.matcher(arg.strip());
        if (!m.matches()) return Optional.empty();
        if (m.group(1).equals(".") || m.group(1).equals("..")) return Optional.empty();
        if (m.group(2).toLowerCase(Locale.ROOT).endsWith(".gguf")) return Optional.empty();
        return Optional.of(new Ref(m.group(1) + "/" + m.group(2), m.group(3)));
    }

    /** Whether {@code path} is a GGUF projector ({@code mmproj-F16.gguf}, {@code mmproj-model-f16.gguf}). */
    public static boolean isMmproj(String path) {
        String n = fileName(path).toLowerCase(Locale.ROOT);
        return n.endsWith(".gguf") && n.contains("mmproj");
    }

    /** Whether {@code path} is a model GGUF (not a projector). */
    public static boolean isModel(String path) {
        return fileName(path).toLowerCase(Locale.ROOT).endsWith(".gguf") && !isMmproj(path);
    }

    /**
     * The quantization named in a GGUF file's name, upper case ({@code Q4_K_M}, {@code UD-Q4_K_XL}, {@code BF16}),
     * or null. The last token that looks like one wins; a split suffix is ignored; a name without one falls back on
     * the folder ({@code Q4_K_M/model-00001-of-00002.gguf}).
     */
    public static String quantOf(String path) {
        String q = quantOfName(fileName(path));
        if (q != null) return q;
        int slash = path.lastIndexOf('/');
        if (slash <= 0) return null;
        String dir = path.substring(0, slash);
        String last = dir.substring(dir.lastIndexOf('/') + 1);
        return quantOfName(last + ".gguf");
    }

    private static String quantOfName(String fileName) {
        String base = fileName;
        if (base.toLowerCase(Locale.ROOT).endsWith(".gguf")) base = base.substring(0, base.length() - 5);
        Matcher s = SPLIT.matcher(base);
        if (s.matches()) base = s.group(1);
        String[] parts = base.split("[-.]");
        for (int i = parts.length - 1; i >= 0; i--) {
            if (TOKEN.matcher(parts[i]).matches()) {
                String q = parts[i].toUpperCase(Locale.ROOT);
                if (i > 0 && parts[i - 1].equalsIgnoreCase("UD")) q = "UD-" + q;
                return q;
            }
        }
        return null;
    }

    /** The model GGUFs of a listing grouped by quantization (files without one are grouped under their own name), smallest first. */
    public static List<Quant> group(List<RepoFile> listed) {
        Map<String, List<RepoFile>> by = new LinkedHashMap<>();
        for (RepoFile f : listed) {
            if (!isModel(f.path())) continue;
            String q = quantOf(f.path());
            if (q == null) q = splitBase(fileName(f.path()));
            by.computeIfAbsent(q, k -> new ArrayList<>()).add(f);
        }
        List<Quant> out = new ArrayList<>();
        for (Map.Entry<String, List<RepoFile>> e : by.entrySet()) {
            List<RepoFile> files = new ArrayList<>(e.getValue());
            files.sort(Comparator.comparing(RepoFile::path));
            long bytes = files.stream().mapToLong(f -> Math.max(0, f.size())).sum();
            out.add(new Quant(e.getKey(), List.copyOf(files), bytes));
        }
        out.sort(Comparator.comparingLong(Quant::bytes).thenComparing(Quant::name));
        return out;
    }

    /**
     * The projector to take with {@code quant}: the one of the same quantization, else F16, else BF16, else the
     * smallest; null when the repo has none.
     */
    public static RepoFile mmproj(List<RepoFile> listed, String quant) {
        List<RepoFile> all = listed.stream().filter(f -> isMmproj(f.path())).toList();
        if (all.isEmpty()) return null;
        for (String want : new String[] {quant, "F16", "BF16"}) {
            if (want == null) continue;
            for (RepoFile f : all) if (want.equalsIgnoreCase(quantOf(f.path()))) return f;
        }
        return all.stream().min(Comparator.comparingLong(RepoFile::size).thenComparing(RepoFile::path)).orElseThrow();
    }

    /**
     * The files of quantization {@code quant} of {@code repo}'s listing, with its projector; a name that matches
     * none is refused in one line with the choices (and the closest one).
     */
    public static Choice choose(String repo, List<RepoFile> listed, String quant) {
        List<Quant> quants = group(listed);
        if (quants.isEmpty()) throw new UserError(repo + " holds no .gguf file" + sample(listed));
        String want = quant.strip().toUpperCase(Locale.ROOT);
        for (Quant q : quants) {
            if (q.name().equalsIgnoreCase(want)) return complete(repo, q, listed);
        }
        List<String> names = quants.stream().map(Quant::name).toList();
        String close = closest(want, names);
        throw new UserError(repo + " has no quantization '" + quant + "'"
                + (close != null ? " (did you mean " + close + "?)" : "") + "; it has " + String.join(", ", names));
    }

    /** The quantization's projector added, after checking that every split part is listed. */
    public static Choice complete(String repo, Quant q, List<RepoFile> listed) {
        Matcher m = SPLIT.matcher(stripGguf(fileName(q.first().path())));
        if (m.matches()) {
            int parts = Integer.parseInt(m.group(3));
            long have = q.files().stream().filter(f -> SPLIT.matcher(stripGguf(fileName(f.path()))).matches()).count();
            if (have < parts) {
                throw new UserError(repo + " lists " + have + " of the " + parts + " parts of " + q.name() + " (" + q.first().path() + ")");
            }
        }
        return new Choice(q, mmproj(listed, q.name()));
    }

    /**
     * The largest quantization whose files, with room for a context and compute buffers (10 % and 1 GiB more),
     * fit in {@code freeBytes} (16- and 32-bit weights only when no quantized one fits); null when none does.
     */
    public static Quant largestFitting(List<Quant> quants, long freeBytes) {
        Quant best = null;
        Quant bestQuantized = null;
        for (Quant q : quants) {
            if (!fits(q.bytes(), freeBytes)) continue;
            if (best == null || q.bytes() > best.bytes()) best = q;
            if (!unquantized(q.name()) && (bestQuantized == null || q.bytes() > bestQuantized.bytes())) bestQuantized = q;
        }
        // 16- and 32-bit weights only when no quantization fits: Q8_0 is as good and serves about twice as fast
        return bestQuantized != null ? bestQuantized : best;
    }

    /** Whether a "quantization" is plain 16- or 32-bit floats. */
    public static boolean unquantized(String name) {
        return List.of("F16", "BF16", "F32", "FP16", "FP32").contains(name.toUpperCase(Locale.ROOT));
    }

    /** Whether {@code bytes} of weights leave room for a modest context in {@code freeBytes}. */
    public static boolean fits(long bytes, long freeBytes) {
        return freeBytes > 0 && bytes + bytes / 10 + (1L << 30) <= freeBytes;
    }

    /** The name nearest to {@code want} by edit distance, if near enough (at most 2 edits, or 2/5 of its length). */
    static String closest(String want, List<String> names) {
        // llama-quantize's own alias (Q4_K means Q4_K_M), then a longer name of the same start (IQ4 → IQ4_XS)
        for (String n : names) if (n.equalsIgnoreCase(want + "_M")) return n;
        String longer = names.stream().filter(n -> n.toUpperCase(Locale.ROOT).startsWith(want.toUpperCase(Locale.ROOT) + "_"))
                .min(Comparator.comparingInt(String::length)).orElse(null);
        if (longer != null) return longer;
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String n : names) {
            int d = Similar.editDistance(want.toUpperCase(Locale.ROOT), n.toUpperCase(Locale.ROOT));
            if (d < bestD) {
                bestD = d;
                best = n;
            }
        }
        return best != null && bestD <= Math.max(2, want.length() * 2 / 5) ? best : null;
    }

    static String fileName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static String stripGguf(String n) {
        return n.toLowerCase(Locale.ROOT).endsWith(".gguf") ? n.substring(0, n.length() - 5) : n;
    }

    private static String splitBase(String n) {
        Matcher m = SPLIT.matcher(stripGguf(n));
        return m.matches() ? m.group(1) : stripGguf(n);
    }

    private static String sample(List<RepoFile> listed) {
        if (listed.isEmpty()) return "";
        return " (" + String.join(", ", listed.stream().limit(6).map(RepoFile::path).toList()) + (listed.size() > 6 ? ", ..." : "") + ")";
    }
}
