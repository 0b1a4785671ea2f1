package dev.llamagic.engine.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What each listed file needs before any byte is fetched: {@code trusted} (the record says these exact bytes
 * were verified: skipped), {@code toHash} (the right size but unknown content: hashed once) and {@code toFetch}
 * (missing or of another size). {@code --verify} ({@code rehash}) trusts no record.
 */
record DownloadPlan(List<RepoFile> trusted, List<RepoFile> toHash, List<RepoFile> toFetch) {
    /** The largest listed size believed: 2^50 bytes (1 PiB); JSON numbers beyond 2^53 are not even exact. */
    static final long MAX_SIZE = 1L << 50;
    /** File names of our own bookkeeping, never taken from a listing. */
    static final Set<String> OURS = Set.of(VerifiedRecord.FILE, TargetLock.FILE);

    /**
     * Refuses, in one line, a listing entry that must not be written: a path escaping the target (absolute,
     * "..", empty segments, backslashes), a name ending in '/' or holding control characters (a newline), a name
     * of our own bookkeeping ({@code .llamagic-verified.json}, {@code *.llamagic-ranges}, {@code *.llamagic-tmp}),
     * anything under the staging folder {@code ._____temp}, and a size that is negative, unreadable or beyond
     * {@link #MAX_SIZE}.
     */
    static void check(String repo, List<RepoFile> files, Layout layout) {
        for (RepoFile f : files) {
            String p = f.path();
            String why = null;
            if (p == null || p.isEmpty()) why = "with an empty path";
            else if (p.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) why = "whose name holds a control character";
            else if (p.endsWith("/")) why = "whose name ends in '/'";
            else if (layout.target(p) == null || layout.staging(p) == null) why = "whose path escapes " + layout.root();
            else {
                String first = p.contains("/") ? p.substring(0, p.indexOf('/')) : p;
                String last = p.substring(p.lastIndexOf('/') + 1);
                if (first.equals(Layout.TEMP)) why = "inside the staging folder " + Layout.TEMP;
                else if (OURS.contains(p) || last.endsWith(RangeJournal.SUFFIX) || last.endsWith(".llamagic-tmp")) {
                    why = "named like llamagic's own bookkeeping";
                }
            }
            if (why == null) {
                if (f.size() == RepoFile.UNREADABLE_SIZE) why = "without a readable size";
                else if (f.size() < 0) why = "with a negative size (" + f.size() + ")";
                else if (f.size() > MAX_SIZE) why = "with an implausible size (" + f.size() + " bytes)";
            }
            if (why != null) {
                throw new HubException(0, "refusing to download " + repo + ": the hub lists a file '" + printable(p)
                        + "' " + why);
            }
        }
    }

    /** A name on one line: control characters escaped as in Java source (backslash n, t, or u and four hex digits). */
    static String printable(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c == '\t') b.append("\\t");
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    static DownloadPlan of(List<RepoFile> files, Layout layout, VerifiedRecord record, boolean rehash) throws IOException {
        List<RepoFile> trusted = new ArrayList<>();
        List<RepoFile> toHash = new ArrayList<>();
        List<RepoFile> toFetch = new ArrayList<>();
        for (RepoFile f : files) {
            Path target = layout.target(f.path());
            boolean present = Files.isRegularFile(target);
            long size = present ? Files.size(target) : -1;
            if (present && size == f.size() && !rehash && record.trusts(f.path(), target, f.size(), f.sha256())) {
                trusted.add(f);
            } else if (present && size == f.size()) {
                toHash.add(f);
            } else {
                toFetch.add(f);
            }
        }
        return new DownloadPlan(trusted, toHash, toFetch);
    }
}
