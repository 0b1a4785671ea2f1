package dev.llamagic.engine.hub;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where a snapshot goes, the same as the official client, so a directory one tool filled is reused by the
 * other: with a target directory, files at {@code <dir>/<Path>} and staging in {@code <dir>/._____temp/};
 * in cache mode ({@code --cache_dir C}), files at {@code C/<owner>/<name with . → ___>} and staging in
 * {@code C/._____temp/<owner>/<name>}. The official metadata ({@code .msc}, {@code .mv}) sits in the files'
 * directory.
 */
public record Layout(Path root, Path temp, boolean cacheMode, String owner, String name) {
    public static final String TEMP = "._____temp";

    public static Layout localDir(Path dir, String owner, String name) {
        Path d = dir.toAbsolutePath().normalize();
        return new Layout(d, d.resolve(TEMP), false, owner, name);
    }

    public static Layout cacheDir(Path cache, String owner, String name) {
        Path c = cache.toAbsolutePath().normalize();
        return new Layout(c.resolve(owner).resolve(name.replace(".", "___")), c.resolve(TEMP).resolve(owner).resolve(name),
                true, owner, name);
    }

    /** The official default cache root: MODELSCOPE_CACHE, else ~/.cache/modelscope/hub; models live under models/. */
    public static Path officialModelsCache(Map<String, String> env) {
        String c = env.get("MODELSCOPE_CACHE");
        Path root = c != null && !c.isBlank() ? Path.of(c)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache", "modelscope", "hub");
        return root.resolve("models");
    }

    /** The target of a listed path, or null when it would land outside the root (absolute, "..", empty). */
    public Path target(String repoPath) {
        return inside(root, repoPath);
    }

    public Path staging(String repoPath) {
        return inside(temp, repoPath);
    }

    static Path inside(Path base, String repoPath) {
        if (repoPath == null || repoPath.isBlank() || repoPath.startsWith("/") || repoPath.startsWith("\\")
                || repoPath.contains("\\") || repoPath.indexOf('\0') >= 0) return null;
        for (String seg : repoPath.split("/")) {
            if (seg.equals("..") || seg.equals(".") || seg.isEmpty()) return null;
        }
        if (repoPath.matches("^[A-Za-z]:.*")) return null;
        Path p = base.resolve(repoPath).normalize();
        return p.startsWith(base) && !p.equals(base) ? p : null;
    }
}
