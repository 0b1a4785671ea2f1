package dev.llamagic.magic.build;

import dev.llamagic.core.Notebook;
import dev.llamagic.engine.build.LlamaBuilder;
import dev.llamagic.util.Html;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The view of a build: the verification table (commit, backends, devices, CUDA archs, build time, binary paths)
 * and the summary line. The table is drawn without Tablesaw (whose first use costs a second or more on a busy
 * machine) so a cache hit stays fast; the HTML is the same shape as {@link Html#table}.
 */
final class BuildReport {
    private BuildReport() {}

    /** Shows the table, then {@code prefix: summary} (a cache hit adds how to build again). */
    static void show(Notebook out, String prefix, LlamaBuilder.Result r) {
        out.html(html(r.title(), r.details()), text(r.title(), r.details()));
        out.print(prefix + ": " + r.summary() + (r.cached() ? " (--rebuild builds it again)" : ""));
    }

    static String html(String title, List<Map.Entry<String, String>> rows) {
        StringBuilder html = new StringBuilder("<div class=\"llamagic-table\"><div class=\"llamagic-table-title\"><b>")
                .append(Html.escape(title)).append("</b></div><table class=\"dataframe\"><thead><tr><th>what</th><th>value</th></tr></thead><tbody>");
        for (Map.Entry<String, String> r : rows) {
            html.append("<tr><td>").append(Html.escape(r.getKey())).append("</td><td>").append(Html.escape(r.getValue())).append("</td></tr>");
        }
        return html.append("</tbody></table></div>").toString();
    }

    static String text(String title, List<Map.Entry<String, String>> rows) {
        int w = 4;
        for (Map.Entry<String, String> r : rows) w = Math.max(w, r.getKey().length());
        StringBuilder text = new StringBuilder(title).append('\n');
        for (Map.Entry<String, String> r : rows) {
            text.append(String.format(Locale.ROOT, "  %-" + w + "s  %s%n", r.getKey(), r.getValue()));
        }
        return text.toString().stripTrailing();
    }
}
