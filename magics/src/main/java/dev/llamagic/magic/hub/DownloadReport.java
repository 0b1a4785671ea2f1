package dev.llamagic.magic.hub;

import dev.llamagic.core.Notebook;
import dev.llamagic.engine.hub.SnapshotDownloader;
import dev.llamagic.util.Html;
import dev.llamagic.util.Units;
import java.util.Locale;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/** How a finished download shows in the cell: a table of the files, then one summary line. */
public final class DownloadReport {
    private DownloadReport() {}

    /** One row per file: size, seconds, MB/s and how it was verified. */
    public static Table table(SnapshotDownloader.Result r) {
        Table t = Table.create(r.repo(),
                StringColumn.create("file"), StringColumn.create("size"), DoubleColumn.create("seconds"),
                DoubleColumn.create("MB/s"), StringColumn.create("verified"));
        for (SnapshotDownloader.FileResult f : r.files()) {
            t.stringColumn(0).append(f.path());
            t.stringColumn(1).append(Units.bytes(f.size()));
            t.doubleColumn(2).append(Math.round(f.seconds() * 100) / 100.0);
            t.doubleColumn(3).append(Math.round(f.mbPerSecond() * 10) / 10.0);
            t.stringColumn(4).append(f.verified());
        }
        return t;
    }

    /** "owner/name: 9 files, 615 MiB fetched in 7.4 s (87.3 MB/s) -> DIR". */
    public static String summary(SnapshotDownloader.Result r) {
        double mbps = r.seconds() > 0 ? r.fetched() / 1e6 / r.seconds() : 0;
        return String.format(Locale.ROOT, "%s: %d files, %s fetched in %s (%.1f MB/s) -> %s",
                r.repo(), r.files().size(), Units.bytes(r.fetched()), Units.duration(r.seconds()), mbps, r.dir());
    }

    public static void show(Notebook out, SnapshotDownloader.Result r) {
        out.table(table(r));
        String line = summary(r);
        out.html("<div><b>" + Html.escape(r.repo()) + "</b> → <code>" + Html.escape(r.dir().toString())
                + "</code> · " + Html.escape(line.substring(line.indexOf(':') + 2, line.indexOf(" ->"))) + "</div>", line);
    }
}
