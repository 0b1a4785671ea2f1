package dev.llamagic.engine.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What each listed file needs before any byte is fetched: {@code trusted} (the record says these exact bytes
 * were verified: skipped), {@code toHash} (the right size but unknown content: hashed once) and {@code toFetch}
 * (missing or of another size). {@code --verify} ({@code rehash}) trusts no record.
 */
record DownloadPlan(List<RepoFile> trusted, List<RepoFile> toHash, List<RepoFile> toFetch) {

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
