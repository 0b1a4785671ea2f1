package dev.llamagic.magic;

import dev.llamagic.core.Version;
import dev.llamagic.util.Html;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "llamagic", mixinStandardHelpOptions = true,
        description = {"Lists the llamagic magics with a one-line summary each, and the versions in use.",
                "列出所有 llamagic 魔法命令及其说明，以及所用版本。"})
public class LlamagicCommand extends MagicCommand {

    @Override
    protected void run() {
        // Drawn without Tablesaw: Table's class initializer scans the whole classpath (ClassGraph), which made
        // %llamagic, often a fresh kernel's first magic, wait a second or more; the output is the same
        Rows magics = new Rows("llamagic magics", "magic", "what it does");
        for (Commands.Info i : Commands.all()) {
            magics.add("%" + i.name() + (i.acceptsBody() ? "  /  %%" + i.name() : ""), i.summary());
        }
        out.html(magics.html(), magics.text());
        Rows versions = new Rows("versions", "component", "version");
        versions.add("llamagic", Version.llamagic());
        versions.add("kernel", ctx.host());
        versions.add("Java", Version.java());
        out.html(versions.html(), versions.text());
        out.print("LLAMAGIC_HOME = " + ctx.home() + "   (help: %<magic> --help)");
    }

    /**
     * A small table of strings drawn exactly as {@code Notebook.table} draws a Tablesaw table: the HTML of
     * {@code Html.table} and the text of {@code Table.printAll()}.
     */
    static final class Rows {
        private final String name;
        private final String[] headers;
        private final List<String[]> rows = new ArrayList<>();

        Rows(String name, String... headers) {
            this.name = name;
            this.headers = headers;
        }

        Rows add(String... cells) {
            if (cells.length != headers.length) throw new IllegalArgumentException("expected " + headers.length + " cells");
            rows.add(cells.clone());
            return this;
        }

        String html() {
            StringBuilder b = new StringBuilder("<div class=\"llamagic-table\">");
            if (!name.isBlank()) b.append("<div class=\"llamagic-table-title\"><b>").append(Html.escape(name)).append("</b></div>");
            b.append("<table class=\"dataframe\"><thead><tr>");
            for (String h : headers) b.append("<th>").append(Html.escape(h)).append("</th>");
            b.append("</tr></thead><tbody>");
            for (String[] r : rows) {
                b.append("<tr>");
                for (String c : r) b.append("<td>").append(Html.escape(c)).append("</td>");
                b.append("</tr>");
            }
            return b.append("</tbody></table></div>").toString();
        }

        /** Tablesaw's DataFramePrinter layout: centred title and headers, right-aligned cells, " |" separators. */
        String text() {
            int[] widths = new int[headers.length];
            for (int j = 0; j < headers.length; j++) widths[j] = headers[j].length();
            for (String[] r : rows) for (int j = 0; j < r.length; j++) widths[j] = Math.max(widths[j], r[j].length());
            int total = -1;
            for (int w : widths) total += w + 5;
            String nl = System.lineSeparator();
            StringBuilder b = new StringBuilder();
            if (name.length() > total) {
                b.append(name);
            } else {
                int lead = (total - name.length()) / 2;
                b.append(" ".repeat(lead)).append(name).append(" ".repeat(total - lead - name.length()));
            }
            b.append(nl);
            for (int j = 0; j < headers.length; j++) {
                if (j > 0) b.append(' ');
                int lead = (widths[j] - headers[j].length()) / 2;
                int trail = widths[j] - headers[j].length() - lead;
                b.append(" ".repeat(lead + 1)).append(headers[j]).append(" ".repeat(trail)).append("  |");
            }
            b.append(nl).append("-".repeat(Math.max(0, total)));
            for (String[] r : rows) {
                b.append(nl);
                for (int j = 0; j < r.length; j++) {
                    if (j > 0) b.append(' ');
                    b.append(' ').append(" ".repeat(widths[j] - r[j].length())).append(r[j]).append("  |");
                }
            }
            return b.toString();
        }
    }
}
