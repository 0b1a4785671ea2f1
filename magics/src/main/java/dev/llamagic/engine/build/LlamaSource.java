package dev.llamagic.engine.build;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.util.Hashes;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where llama.cpp's source comes from: a git URL (shallow-fetched at one ref into
 * {@code <LLAMAGIC_HOME>/llama.cpp/src/}, reused once there), a local directory (used in place), or a git bundle
 * file (cloned once per commit). Resolves the commit being built.
 */
public final class LlamaSource {

    /** The upstream repository. */
    public static final String UPSTREAM = "https://github.com/ggml-org/llama.cpp.git";
    /**
     * The tag built from the upstream repository unless {@code --ref} says otherwise: the llama.cpp release that
     * node-llama-cpp 3.22.1 pins ({@code llama/llama.cpp.info.json}: {@code "tag": "v0.5.0"}), whose git bundle the
     * tests build, so the default is the release these magics are tested with.
     */
    public static final String DEFAULT_REF = "v0.5.0";

    public enum Kind { URL, DIR, BUNDLE }

    /** A checkout ready to build: its directory and commit (full hash, or "local-…" for a directory without git). */
    public record Checkout(Path dir, String commit) {}

    private static final Pattern GIT_PERCENT = Pattern.compile("^(Receiving objects|Resolving deltas|Updating files):\\s+(\\d+)%");
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{7,40}");

    private final Kind kind;
    private final String spec;
    private final String ref;

    private LlamaSource(Kind kind, String spec, String ref) {
        this.kind = kind;
        this.spec = spec;
        this.ref = ref;
    }

    /**
     * {@code spec}: null or empty for the upstream repository; an existing directory; an existing file (a git
     * bundle); otherwise a URL ({@code https://}, {@code ssh://}, {@code git@host:path}, {@code file://}).
     */
    public static LlamaSource parse(String spec, String ref) {
        if (spec == null || spec.isBlank()) {
            return new LlamaSource(Kind.URL, UPSTREAM, ref == null || ref.isBlank() ? DEFAULT_REF : ref);
        }
        String r = ref == null || ref.isBlank() ? null : ref.trim();
        String s = spec.trim();
        if (s.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || s.matches("^[^/\\s]+@[^/\\s]+:.*")) {
            return new LlamaSource(Kind.URL, s, r != null ? r : s.equals(UPSTREAM) ? DEFAULT_REF : "HEAD");
        }
        Path p = Path.of(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s).toAbsolutePath().normalize();
        if (Files.isDirectory(p)) {
            if (!Files.isRegularFile(p.resolve("CMakeLists.txt"))) {
                throw new Wording.Error("{source|the source} " + s + " is a directory without CMakeLists.txt, not a llama.cpp source tree");
            }
            return new LlamaSource(Kind.DIR, p.toString(), r);
        }
        if (Files.isRegularFile(p)) return new LlamaSource(Kind.BUNDLE, p.toString(), r);
        throw new Wording.Error("{source|the source} " + s + " is neither a directory, a git bundle file, nor a URL"
                + " (e.g. " + UPSTREAM + ")");
    }

    public Kind kind() {
        return kind;
    }

    public String spec() {
        return spec;
    }

    /** The ref asked for (URL: always set; bundle or directory: null = as it is). */
    public String ref() {
        return ref;
    }

    public String describe() {
        return switch (kind) {
            case URL -> spec + " @ " + ref;
            case DIR -> spec;
            case BUNDLE -> spec + (ref == null ? "" : " @ " + ref);
        };
    }

    /** Where sources are cloned: {@code <LLAMAGIC_HOME>/llama.cpp/src}. */
    public static Path srcDir(Context ctx) {
        return ctx.home().resolve("llama.cpp").resolve("src");
    }

    /**
     * The commit, if it can be told without cloning or fetching (a bundle's heads, an existing checkout, a local
     * directory): cache hits need no network and answer fast.
     */
    public Optional<Checkout> existing(Context ctx) throws IOException {
        switch (kind) {
            case DIR -> {
                return Optional.of(new Checkout(Path.of(spec), dirCommit(Path.of(spec))));
            }
            case BUNDLE -> {
                String commit = bundleCommit();
                Path dir = srcDir(ctx).resolve(bundleDirName(commit));
                return Optional.of(new Checkout(dir, commit));
            }
            default -> {
                Path dir = srcDir(ctx).resolve(urlDirName());
                if (Files.isDirectory(dir.resolve(".git"))) {
                    ChildProcess.Result r = git(dir, "rev-parse", "HEAD");
                    if (r.ok()) return Optional.of(new Checkout(dir, r.output().trim()));
                }
                return Optional.empty();
            }
        }
    }

    /** Makes sure the source is on disk (cloning or fetching it if needed) and returns it. */
    public Checkout checkout(Context ctx) throws IOException {
        Notebook out = ctx.notebook();
        switch (kind) {
            case DIR -> {
                return existing(ctx).orElseThrow();
            }
            case BUNDLE -> {
                Checkout c = existing(ctx).orElseThrow();
                if (isCheckoutOf(c.dir(), c.commit())) return c;
                Path part = partDir(c.dir());
                out.print("cloning " + spec + " into " + c.dir());
                try {
                    runGit(ctx, null, "cloning the bundle", List.of("git", "clone", "--no-checkout", spec, part.toString()));
                    runGit(ctx, part, "checking out " + c.commit(), List.of("git", "checkout", "-q", "--detach", c.commit()));
                    Files.move(part, c.dir());
                } finally {
                    deleteTree(part);
                }
                return c;
            }
            default -> {
                Optional<Checkout> have = existing(ctx);
                if (have.isPresent()) return have.get();
                Path dir = srcDir(ctx).resolve(urlDirName());
                Path part = partDir(dir);
                Files.createDirectories(part);
                try (PartCleanup cleanup = () -> deleteTree(part);
                     Progress bar = out.progress("fetching llama.cpp " + ref + " from " + spec, 100, Progress.Unit.COUNT)) {
                    runGit(ctx, part, "git init", List.of("git", "init", "-q"));
                    runGit(ctx, part, "git remote add", List.of("git", "remote", "add", "origin", spec));
                    runGitWithProgress(ctx, part, "fetching " + ref + " from " + spec,
                            List.of("git", "fetch", "--depth", "1", "--progress", "origin", ref), bar);
                    runGit(ctx, part, "checking out " + ref, List.of("git", "checkout", "-q", "--detach", "FETCH_HEAD"));
                    ChildProcess.Result head = git(part, "rev-parse", "HEAD");
                    bar.finish("commit " + head.output().trim());
                    Files.move(part, dir);
                }
                return existing(ctx).orElseThrow(() -> new UserError("cloning " + spec + " left no checkout at " + dir));
            }
        }
    }

    /** Removes a half-made checkout whatever happened (after a successful move there is nothing left to remove). */
    private interface PartCleanup extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    private Path partDir(Path dir) throws IOException {
        Path part = dir.resolveSibling(dir.getFileName() + ".part");
        deleteTree(part);
        Files.createDirectories(dir.getParent());
        return part;
    }

    private static boolean isCheckoutOf(Path dir, String commit) throws IOException {
        if (!Files.isDirectory(dir.resolve(".git"))) return false;
        ChildProcess.Result r = git(dir, "rev-parse", "HEAD");
        return r.ok() && r.output().trim().equals(commit);
    }

    /** The commit the bundle gives for the ref asked (HEAD when none), read off its header without cloning. */
    String bundleCommit() throws IOException {
        ChildProcess.Result r = ChildProcess.run(List.of("git", "bundle", "list-heads", spec), null, Duration.ofSeconds(60));
        if (!r.ok()) {
            throw new Wording.Error("{source|the source} " + spec + " is not a git bundle (" + r.firstLine("no output") + ")");
        }
        List<String[]> heads = r.output().lines().map(String::trim).filter(l -> !l.isEmpty())
                .map(l -> l.split("\\s+", 2)).filter(a -> a.length == 2).toList();
        if (heads.isEmpty()) throw new UserError("the git bundle " + spec + " lists no refs");
        if (ref == null) {
            return heads.stream().filter(h -> h[1].equals("HEAD")).findFirst().orElse(heads.get(0))[0];
        }
        for (String[] h : heads) {
            if (h[1].equals(ref) || h[1].equals("refs/tags/" + ref) || h[1].equals("refs/heads/" + ref)) return h[0];
            if (SHA.matcher(ref).matches() && h[0].startsWith(ref)) return h[0];
        }
        throw new UserError("the git bundle " + spec + " has no ref " + ref + " (it has: "
                + String.join(", ", heads.stream().map(h -> h[1]).toList()) + ")");
    }

    private String bundleDirName(String commit) {
        return "llama.cpp-" + commit.substring(0, Math.min(12, commit.length()));
    }

    /** {@code <repo name>@<ref>}, e.g. {@code llama.cpp@v0.5.0}. */
    String urlDirName() {
        String name = spec.replaceAll("/+$", "").replaceAll("\\.git$", "");
        name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf(':')) + 1);
        String tag = (name.isEmpty() ? "llama.cpp" : name) + "@" + ref;
        String safe = tag.replaceAll("[^A-Za-z0-9._@-]", "_");
        // two URLs with the same repository name must not share a checkout
        return safe + (spec.equals(UPSTREAM) ? "" : "-" + Hashes.sha256Hex(spec).substring(0, 6));
    }

    /** A directory's commit: git's HEAD, "-dirty" appended when tracked files changed; "local-…" without git. */
    static String dirCommit(Path dir) throws IOException {
        ChildProcess.Result head = git(dir, "rev-parse", "HEAD");
        ChildProcess.Result top = git(dir, "rev-parse", "--show-toplevel");
        if (head.ok() && top.ok() && Path.of(top.output().trim()).toRealPath().equals(dir.toRealPath())) {
            ChildProcess.Result status = git(dir, "status", "--porcelain", "--untracked-files=no");
            return head.output().trim() + (status.ok() && !status.output().isBlank() ? "-dirty" : "");
        }
        return "local-" + Hashes.sha256Hex(dir.toRealPath().toString()).substring(0, 12);
    }

    private static ChildProcess.Result git(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        return ChildProcess.run(cmd, null, Duration.ofSeconds(60));
    }

    private static void runGit(Context ctx, Path dir, String what, List<String> cmd) throws IOException {
        runGitWithProgress(ctx, dir, what, cmd, null);
    }

    private static void runGitWithProgress(Context ctx, Path dir, String what, List<String> cmd,
                                           Progress bar) throws IOException {
        if (ChildProcess.which("git", ctx.env()) == null) {
            throw new Wording.Error("git is not installed (apt-get install -y git){orDir|, or build from a llama.cpp directory}");
        }
        Path log = ctx.logs().resolve("git.log");
        try (ChildProcess p = ChildProcess.start(cmd, dir, Map.of("GIT_TERMINAL_PROMPT", "0"), log, line -> {
            if (bar == null) return;
            Matcher m = GIT_PERCENT.matcher(line.trim());
            if (m.find() && m.group(1).equals("Receiving objects")) bar.set(Integer.parseInt(m.group(2)));
            else if (m.find(0)) bar.detail(m.group(1).toLowerCase() + " " + m.group(2) + "%");
        })) {
            int exit = p.waitFor(ctx, null);
            if (exit != 0) {
                if (bar != null) bar.fail("git failed");
                List<String> tail = p.tail(3);
                boolean offline = tail.stream().anyMatch(l -> l.contains("Could not resolve host") || l.contains("unable to access"));
                throw new Wording.Error(what + " failed: " + String.join(" / ", tail) + " (log: " + log + ")"
                        + (offline ? "; without network, {offline|build from a llama.cpp directory or git bundle}" : ""));
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }
}
