package dev.llamagic.util;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Files replaced whole: written beside the target, then moved over it, so a reader sees the old or the new content. */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes {@code data} to {@code target + ".llamagic-tmp"}, then moves it over {@code target} atomically. */
    public static void write(Path target, byte[] data) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".llamagic-tmp");
        // plain streams: not interruptible channels, so an interrupted thread can still leave state behind
        try (FileOutputStream out = new FileOutputStream(tmp.toFile())) {
            out.write(data);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** {@link #write(Path, byte[])} of the text in UTF-8. */
    public static void write(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }
}
