package dev.llamagic.magic.bench;

import dev.llamagic.core.Notebook;
import dev.llamagic.engine.bench.BenchReport;
import dev.llamagic.engine.bench.BenchResult;
import dev.llamagic.util.Html;
import java.util.List;
import java.util.function.Consumer;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * How {@code %bench} shows what the engine measured: the lines above the table, the table without the columns
 * that no row fills (GPU figures without a GPU, the server's name for a bare URL), the legend for the columns
 * shown, and the chart. Saved CSVs keep every column.
 */
final class BenchView {
    private BenchView() {}

    /** The report of a run: header lines per result, the summary, the legend, the chart, and (raw) one row per request. */
    static void show(Notebook out, List<BenchResult> results, Table summary, Table requests, boolean raw) {
        for (BenchResult r : results) BenchReport.header(r).forEach(out::print);
        Table shown = withoutEmptyColumns(summary).copy().setName("%bench");
        out.table(shown);
        List<String[]> legend = BenchReport.legendFor(shown.columnNames());
        out.html(legendHtml(legend), BenchReport.legendText(legend));
        Charts.Chart chart = Charts.throughputChart(summary);
        if (chart != null) out.html(chart.svg(), chart.text());
        if (raw) out.table(withoutEmptyColumns(requests).copy().setName("%bench requests"));
    }

    /** A view of {@code t} without the columns that are empty in every row; a table without rows keeps them all. */
    static Table withoutEmptyColumns(Table t) {
        if (t.rowCount() == 0) return t;
        List<String> empty = t.columns().stream().filter(BenchView::empty).map(Column::name).toList();
        return empty.isEmpty() ? t : t.copy().removeColumns(empty.toArray(String[]::new));
    }

    private static boolean empty(Column<?> c) {
        for (int r = 0; r < c.size(); r++) {
            if (!c.isMissing(r) && !c.getString(r).isBlank()) return false;
        }
        return true;
    }

    static String legendHtml(List<String[]> legend) {
        StringBuilder b = new StringBuilder("<details class=\"llamagic-legend\" open><summary>what each column measured</summary><dl style=\"font-size:12px\">");
        for (String[] l : legend) {
            b.append("<dt><b>").append(Html.escape(l[0])).append("</b></dt><dd>").append(Html.escape(l[1])).append("</dd>");
        }
        return b.append("</dl></details>").toString();
    }

    /** Shows llama-bench's table as it grows, redrawn in place: pass to {@code LlamaBench.run} as its row listener. */
    static Consumer<Table> live(Notebook out) {
        Notebook.LiveView[] view = new Notebook.LiveView[1];
        return table -> {
            String html = Html.table(table);
            String text = table.printAll();
            if (view[0] == null) view[0] = out.live(html, text);
            else view[0].update(html, text);
        };
    }
}
