package dev.llamagic.engine.hub;

/** One file of a repo listing: its path in the repo, size, sha256 (may be null) and the commit it comes from. */
public record RepoFile(String path, long size, String sha256, String revision) {
    /** The size of a listing entry whose Size is missing or not a whole number (refused before any download). */
    public static final long UNREADABLE_SIZE = Long.MIN_VALUE;
}
