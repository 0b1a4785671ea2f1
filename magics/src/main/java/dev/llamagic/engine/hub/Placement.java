package dev.llamagic.engine.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Moves a verified staging file into place in one atomic rename (the target is the old file or the new one,
 * never half of either) and drops its journal. Before any byte is written, checks that no folder on the way to
 * a target or staging file leads out of the target through a symbolic link; after a successful run, tidies the
 * staging folder.
 */
final class Placement {
    private Placement() {}

    static void place(Path staging, Path journal, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(journal);
    }

    /**
     * Refuses (one line) when a folder or file on the way from the target directory (or the staging folder) to a
     * listed file is a symbolic link leading out of it, or one that leads nowhere.
     */
    static void checkConfined(Layout layout, Collection<RepoFile> files) {
        Path root = real(layout.root());
        // the staging folder inside the target is checked from the target (it may be the link); in cache mode from itself
        Path stagingBase = layout.temp().startsWith(layout.root()) ? layout.root() : layout.temp();
        Path temp = real(stagingBase);
        for (RepoFile f : files) {
            confined(layout.root(), root, layout.target(f.path()));
            confined(stagingBase, temp, layout.staging(f.path()));
        }
    }

    private static void confined(Path base, Path baseReal, Path p) {
        Path q = base;
        for (Path seg : base.relativize(p)) {
            q = q.resolve(seg);
            if (!Files.isSymbolicLink(q)) continue;
            Path to;
            try {
                to = q.toRealPath();
            } catch (IOException e) {
                throw new HubException(0, "refusing to write " + p + ": " + q + " is a symbolic link that leads nowhere");
            }
            if (!to.startsWith(baseReal)) {
                throw new HubException(0, "refusing to write " + p + ": " + q + " is a symbolic link to " + to
                        + ", outside " + base);
            }
        }
    }

    private static Path real(Path p) {
        try {
            return Files.exists(p) ? p.toRealPath() : p;
        } catch (IOException e) {
            return p;
        }
    }

    /** The metadata written next to the files through {@code AtomicFiles} (each may leave a {@code .llamagic-tmp}). */
    static final List<String> METADATA = List.of(VerifiedRecord.FILE, ".msc", ".mv", ".mdl");

    /**
     * After a successful run: removes the temporary files of atomic writes ({@code *.llamagic-tmp}) in the
     * staging folder and beside our metadata, then the folders of the staging folder left empty (and the staging
     * folder itself when empty). Partial files of other files stay, to be resumed.
     */
    static void tidy(Layout layout) throws IOException {
        for (String m : METADATA) Files.deleteIfExists(layout.root().resolve(m + ".llamagic-tmp"));
        Path temp = layout.temp();
        if (!Files.isDirectory(temp, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        List<Path> all;
        try (Stream<Path> s = Files.walk(temp)) {
            all = s.sorted(Comparator.reverseOrder()).toList(); // children before their folders
        }
        for (Path p : all) {
            try {
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    if (p.getFileName().toString().endsWith(".llamagic-tmp")) Files.deleteIfExists(p);
                } else if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try (Stream<Path> in = Files.list(p)) {
                        if (in.findAny().isEmpty()) Files.deleteIfExists(p);
                    }
                }
            } catch (IOException e) {
                // tidying is a courtesy
            }
        }
    }
}
