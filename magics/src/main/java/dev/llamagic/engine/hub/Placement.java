package dev.llamagic.engine.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Moves a verified staging file into place in one atomic rename (the target is the old file or the new one,
 * never half of either) and drops its journal.
 */
final class Placement {
    private Placement() {}

    static void place(Path staging, Path journal, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(journal);
    }
}
