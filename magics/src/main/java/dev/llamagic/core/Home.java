package dev.llamagic.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** LLAMAGIC_HOME: the env var, else /mnt/workspace/llamagic on PAI-DSW (persistent disk), else ~/.cache/llamagic. */
public final class Home {
    private Home() {}

    public static Path resolve(Map<String, String> env) {
        String explicit = env.get("LLAMAGIC_HOME");
        if (explicit != null && !explicit.isBlank()) return Path.of(explicit).toAbsolutePath();
        Path dsw = Path.of("/mnt/workspace");
        if (Files.isDirectory(dsw) && Files.isWritable(dsw)) return dsw.resolve("llamagic");
        String userHome = env.getOrDefault("HOME", System.getProperty("user.home"));
        return Path.of(userHome, ".cache", "llamagic");
    }
}
