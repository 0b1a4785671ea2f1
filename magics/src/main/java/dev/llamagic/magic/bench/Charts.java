package dev.llamagic.magic.bench;

import dev.llamagic.engine.bench.BenchReport;
import dev.llamagic.util.Html;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import tech.tablesaw.api.Table;

/**
 * Charts drawn by our own code as inline SVG: no script, no CDN, so they render offline and stay in the
 * saved notebook.
 */
public final class Charts {
    private Charts() {}

    /** One line of a chart: a name and (x, y) points. */
    public record Series(String name, List<double[]> points) {}

    private static final String[] COLORS = {"#1976d2", "#d32f2f", "#388e3c", "#f57c00", "#7b1fa2", "#0097a7",
            "#5d4037", "#c2185b"};

    /**
     * Aggregate decode tok/s against concurrency from a {@link BenchReport#summary} table: one line per model
     * (at the first prompt and generation length) when several models were measured, else one line per prompt length.
     * Works on a table loaded back from a saved CSV too ({@link BenchReport#load}).
     */
    public static String throughputVsConcurrency(Table summary) {
        Chart c = throughputChart(summary);
        return c == null ? "" : c.svg();
    }

    /** A chart as SVG and as text (its data, for terminals). */
    public record Chart(String svg, String text) {}

    /** {@link #throughputVsConcurrency} with a text rendering of its data; null for an empty table. */
    public static Chart throughputChart(Table summary) {
        if (summary.rowCount() == 0) return null;
        List<String> models = new ArrayList<>(new java.util.LinkedHashSet<>(summary.stringColumn(BenchReport.MODEL).asList()));
        int firstPrompt = (int) summary.numberColumn(BenchReport.PROMPT).getDouble(0);
        int firstGen = (int) summary.numberColumn(BenchReport.GEN).getDouble(0);
        Map<String, List<double[]>> lines = new LinkedHashMap<>();
        for (int r = 0; r < summary.rowCount(); r++) {
            if (summary.column(BenchReport.AGGREGATE).isMissing(r)) continue;
            int p = (int) summary.numberColumn(BenchReport.PROMPT).getDouble(r);
            int g = (int) summary.numberColumn(BenchReport.GEN).getDouble(r);
            String key;
            if (models.size() > 1) {
                if (p != firstPrompt || g != firstGen) continue;
                key = summary.stringColumn(BenchReport.MODEL).get(r);
            } else {
                if (g != firstGen) continue;
                key = "prompt " + p;
            }
            lines.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[] {
                    summary.numberColumn(BenchReport.CONCURRENCY).getDouble(r), summary.numberColumn(BenchReport.AGGREGATE).getDouble(r)});
        }
        List<Series> series = new ArrayList<>();
        lines.forEach((k, v) -> series.add(new Series(k, v)));
        String title = models.size() > 1
                ? "decode tok/s (aggregate) vs concurrency · prompt " + firstPrompt + ", generate " + firstGen
                : "decode tok/s (aggregate) vs concurrency · " + models.get(0) + " · generate " + firstGen;
        return new Chart(lineChart(title, "concurrent requests", "tok/s", series),
                title + " (concurrency→tok/s)\n" + text(series));
    }

    /** A line chart; x values are placed evenly as categories (concurrency 1, 2, 4, 8 …), y from 0. */
    public static String lineChart(String title, String xLabel, String yLabel, List<Series> series) {
        int w = 680, h = 360, left = 64, right = 190, top = 36, bottom = 48;
        int pw = w - left - right, ph = h - top - bottom;
        TreeSet<Double> xs = new TreeSet<>();
        double max = 0;
        for (Series s : series) {
            for (double[] p : s.points()) {
                xs.add(p[0]);
                max = Math.max(max, p[1]);
            }
        }
        List<Double> xList = new ArrayList<>(xs);
        double step = niceStep(max / 5);
        double top0 = step * Math.max(1, Math.ceil(max * 1.05 / step));
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT,
                "<svg class=\"llamagic-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"%s\">",
                w, h, w, h, Html.escape(title)));
        b.append("<title>").append(Html.escape(title)).append("</title>");
        b.append("<rect x=\"0\" y=\"0\" width=\"").append(w).append("\" height=\"").append(h).append("\" fill=\"white\"/>");
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"13\" font-weight=\"bold\">%s</text>",
                left, Html.escape(title)));
        // y grid and labels
        for (double v = 0; v <= top0 + step / 2; v += step) {
            double y = top + ph - ph * v / top0;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>", left, left + pw, y, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", left - 6, y + 4, fmt(v)));
        }
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#333\"/>", left, left + pw, top + ph, top + ph));
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#333\"/>", left, left, top, top + ph));
        for (int i = 0; i < xList.size(); i++) {
            double x = xAt(i, xList.size(), left, pw);
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", x, top + ph + 16, fmt(xList.get(i))));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", left + pw / 2, h - 10, Html.escape(xLabel)));
        b.append(String.format(Locale.ROOT, "<text transform=\"translate(16,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>", top + ph / 2, Html.escape(yLabel)));
        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            String color = COLORS[si % COLORS.length];
            List<double[]> pts = new ArrayList<>(s.points());
            pts.sort((a, c) -> Double.compare(a[0], c[0]));
            StringBuilder poly = new StringBuilder();
            StringBuilder dots = new StringBuilder();
            for (double[] p : pts) {
                double x = xAt(xList.indexOf(p[0]), xList.size(), left, pw);
                double y = top + ph - ph * p[1] / top0;
                poly.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s: %s → %s %s</title></circle>",
                        x, y, color, Html.escape(s.name()), fmt(p[0]), fmt(p[1]), Html.escape(yLabel)));
            }
            b.append("<g class=\"series\" data-name=\"").append(Html.escape(s.name())).append("\">");
            b.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\" points=\"")
                    .append(poly.toString().trim()).append("\"/>").append(dots).append("</g>");
            int ly = top + 8 + si * 18;
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", left + pw + 14, ly - 10, color));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>", left + pw + 32, ly, Html.escape(shorten(s.name(), 26))));
        }
        return b.append("</svg>").toString();
    }

    /** The chart's data as text, for terminals and text viewers. */
    public static String text(List<Series> series) {
        StringBuilder b = new StringBuilder();
        for (Series s : series) {
            b.append(s.name()).append(':');
            for (double[] p : s.points()) b.append(' ').append(fmt(p[0])).append("→").append(fmt(p[1]));
            b.append('\n');
        }
        return b.toString();
    }

    private static double xAt(int i, int n, int left, int pw) {
        return left + pw * (i + 0.5) / n;
    }

    static double niceStep(double raw) {
        if (!(raw > 0)) return 1;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
        return nice * mag;
    }

    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e12) return String.format(Locale.ROOT, "%d", (long) v);
        return String.format(Locale.ROOT, Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
    }

    private static String shorten(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
