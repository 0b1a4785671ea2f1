package dev.llamagic.engine.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamagic.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The resume state of one staging file, {@code <staging>.llamagic-ranges}: the listed size and sha256 and, for
 * each byte range, how many bytes from its start are on disk:
 * {@code {"size":N,"sha256":"..","ranges":[{"start":0,"end":16777215,"done":4194304},...]}}. A later run with
 * another range size takes over every byte that lies in a done prefix of an old range. A complete range may also
 * carry the sha256 of its bytes and {@code "verified":true} once a repair found a second copy that agreed (see
 * {@link RangeRepair}); those marks are kept only while the ranges stay the same.
 */
final class RangeJournal {
    static final String SUFFIX = ".llamagic-ranges";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RangeJournal() {}

    /** The journal next to a staging file. */
    static Path of(Path staging) {
        return staging.resolveSibling(staging.getFileName() + SUFFIX);
    }

    /** Writes the journal atomically (a crash leaves the old one or the new one). */
    static void save(Path journal, RepoFile file, List<RangePlan.Range> ranges, long[] done) throws IOException {
        save(journal, file, ranges, done, null, null);
    }

    /** The same with the repair's marks per range (null: none). */
    static void save(Path journal, RepoFile file, List<RangePlan.Range> ranges, long[] done, String[] sha,
                     boolean[] verified) throws IOException {
        ObjectNode j = JSON.createObjectNode();
        j.put("size", file.size());
        j.put("sha256", String.valueOf(file.sha256()));
        ArrayNode rs = j.putArray("ranges");
        for (int i = 0; i < ranges.size(); i++) {
            ObjectNode r = rs.addObject();
            r.put("start", ranges.get(i).start());
            r.put("end", ranges.get(i).end());
            r.put("done", done[i]);
            if (done[i] == ranges.get(i).length()) {
                if (sha != null && sha[i] != null) r.put("sha256", sha[i]);
                if (verified != null && verified[i]) r.put("verified", true);
            }
        }
        AtomicFiles.write(journal, JSON.writeValueAsBytes(j));
    }

    /**
     * How much of each of {@code ranges} the journal says is on disk; null when the journal is unreadable,
     * inconsistent, or about other bytes (another size or sha256): then nothing of the staging file can be trusted.
     */
    static long[] load(Path journal, RepoFile file, List<RangePlan.Range> ranges) {
        try {
            JsonNode j = JSON.readTree(journal.toFile());
            if (j == null || !j.path("size").isIntegralNumber() || j.path("size").asLong() != file.size()
                    || !j.path("sha256").asText("").equals(String.valueOf(file.sha256())) || !j.path("ranges").isArray()) {
                return null;
            }
            List<RangePlan.Range> was = new ArrayList<>();
            List<Long> wasDone = new ArrayList<>();
            for (JsonNode r : j.path("ranges")) {
                long start = r.path("start").asLong(-1);
                long end = r.path("end").asLong(-1);
                long d = r.path("done").asLong(-1);
                if (start < 0 || end < start || end >= file.size() || d < 0 || d > end - start + 1) return null;
                was.add(new RangePlan.Range(start, end));
                wasDone.add(d);
            }
            return adopt(ranges, was, wasDone);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Fills {@code sha} and {@code verified} from the journal's marks, for complete ranges only, and only when the
     * journal's ranges are exactly {@code ranges} (call after {@link #load} accepted it).
     */
    static void loadMarks(Path journal, List<RangePlan.Range> ranges, long[] done, String[] sha, boolean[] verified) {
        try {
            JsonNode rs = JSON.readTree(journal.toFile()).path("ranges");
            if (!rs.isArray() || rs.size() != ranges.size()) return;
            for (int i = 0; i < ranges.size(); i++) {
                JsonNode r = rs.get(i);
                if (r.path("start").asLong(-1) != ranges.get(i).start() || r.path("end").asLong(-1) != ranges.get(i).end()) {
                    java.util.Arrays.fill(sha, null);
                    java.util.Arrays.fill(verified, false);
                    return;
                }
                if (done[i] != ranges.get(i).length()) continue;
                String h = r.path("sha256").asText("");
                if (h.matches("[0-9a-f]{64}")) {
                    sha[i] = h;
                    verified[i] = r.path("verified").asBoolean(false);
                }
            }
        } catch (IOException | RuntimeException e) {
            java.util.Arrays.fill(sha, null);
            java.util.Arrays.fill(verified, false);
        }
    }

    /** A plain partial file (the official client's): its first {@code have} bytes, as done bytes of {@code ranges}. */
    static long[] prefix(List<RangePlan.Range> ranges, long have) {
        if (ranges.isEmpty() || have <= 0) return new long[ranges.size()];
        long end = ranges.get(ranges.size() - 1).end();
        return adopt(ranges, List.of(new RangePlan.Range(0, end)), List.of(Math.min(have, end + 1)));
    }

    /** Marks as done every byte of {@code ranges} that lies inside a done prefix of one of the old ranges. */
    static long[] adopt(List<RangePlan.Range> ranges, List<RangePlan.Range> was, List<Long> wasDone) {
        long[] done = new long[ranges.size()];
        for (int i = 0; i < ranges.size(); i++) {
            RangePlan.Range r = ranges.get(i);
            for (int k = 0; k < was.size(); k++) {
                RangePlan.Range w = was.get(k);
                long wEnd = w.start() + wasDone.get(k); // exclusive
                if (r.start() >= w.start() && r.start() < wEnd) {
                    done[i] = Math.max(done[i], Math.min(r.length(), wEnd - r.start()));
                }
            }
        }
        return done;
    }

    /** The number of bytes from offset 0 that are done without a gap. */
    static long contiguous(List<RangePlan.Range> ranges, long[] done) {
        long p = 0;
        for (int i = 0; i < ranges.size(); i++) {
            RangePlan.Range r = ranges.get(i);
            if (done[i] >= r.length()) p = r.end() + 1;
            else return r.start() + done[i];
        }
        return p;
    }
}
