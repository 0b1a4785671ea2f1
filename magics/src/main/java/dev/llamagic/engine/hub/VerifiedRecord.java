package dev.llamagic.engine.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamagic.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code <dir>/.llamagic-verified.json}: for each file whose sha256 we checked, the size and modification time
 * it had then and the sha256. A later run trusts a file whose size and mtime are unchanged and whose recorded
 * sha256 is the one the hub lists now, without reading it again; anything else is hashed (or fetched) again.
 */
public final class VerifiedRecord {
    public static final String FILE = ".llamagic-verified.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Entry(long size, long mtimeNanos, String sha256) {}

    private final Path root;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private VerifiedRecord(Path root) {
        this.root = root;
    }

    public static VerifiedRecord load(Path root) {
        VerifiedRecord r = new VerifiedRecord(root);
        Path f = root.resolve(FILE);
        if (Files.isRegularFile(f)) {
            try {
                JsonNode files = JSON.readTree(f.toFile()).path("files");
                files.fields().forEachRemaining(e -> r.entries.put(e.getKey(), new Entry(e.getValue().path("size").asLong(-1),
                        e.getValue().path("mtime_ns").asLong(-1), e.getValue().path("sha256").asText(""))));
            } catch (IOException e) {
                // unreadable record: everything is hashed again
            }
        }
        return r;
    }

    /** Whether the file on disk is the one we verified with this sha256 (size and mtime unchanged). */
    public synchronized boolean trusts(String repoPath, Path file, long size, String sha256) {
        Entry e = entries.get(repoPath);
        if (e == null || sha256 == null || !sha256.equals(e.sha256()) || e.size() != size) return false;
        Entry now = stat(file, sha256);
        return now != null && now.size() == e.size() && now.mtimeNanos() == e.mtimeNanos();
    }

    public synchronized void put(String repoPath, Path file, String sha256) throws IOException {
        Entry e = stat(file, sha256);
        if (e != null) entries.put(repoPath, e);
        save();
    }

    public synchronized void remove(String repoPath) {
        entries.remove(repoPath);
    }

    synchronized void save() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("about", "files whose sha256 llamagic verified; a file is trusted while size and mtime are unchanged");
        ObjectNode files = root.putObject("files");
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            ObjectNode n = files.putObject(e.getKey());
            n.put("size", e.getValue().size());
            n.put("mtime_ns", e.getValue().mtimeNanos());
            n.put("sha256", e.getValue().sha256());
        }
        AtomicFiles.write(this.root.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    static Entry stat(Path file, String sha256) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            if (!a.isRegularFile()) return null;
            long ns = a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
            return new Entry(a.size(), ns, sha256);
        } catch (IOException e) {
            return null;
        }
    }
}
