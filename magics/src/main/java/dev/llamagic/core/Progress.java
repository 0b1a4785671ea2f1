package dev.llamagic.core;

import dev.llamagic.util.Html;
import dev.llamagic.util.Units;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A progress bar drawn in place through a {@link Notebook.LiveView}: throttled to a few redraws a second,
 * the final state always drawn. Thread-safe: parallel workers may call {@link #add(long)}.
 */
public final class Progress implements AutoCloseable {

    public enum Unit { BYTES, COUNT, STEPS }

    /** Redraws closer together than this are skipped (the final one never is). */
    public static final long MIN_REDRAW_NANOS = 250_000_000L;

    private final Notebook.LiveView view;
    private final String title;
    private final Unit unit;
    private final LongSupplier clock;
    private final long started;
    private long total;
    private long done;
    private String detail = "";
    /** When set (total > 0): the share of the work done, for the bar and the ETA, where steps differ in cost. */
    private double workDone;
    private double workTotal;
    private long lastDraw = Long.MIN_VALUE;
    private String state = "running";
    private int draws;

    public Progress(Notebook notebook, String title, long total, Unit unit) {
        this(notebook, title, total, unit, System::nanoTime);
    }

    public Progress(Notebook notebook, String title, long total, Unit unit, LongSupplier clock) {
        this.title = title;
        this.total = Math.max(0, total);
        this.unit = unit;
        this.clock = clock;
        this.started = clock.getAsLong();
        this.view = notebook.live(html(), text());
        this.lastDraw = started;
        this.draws = 1;
    }

    public synchronized Progress total(long total) {
        this.total = Math.max(0, total);
        redraw(false);
        return this;
    }

    public synchronized Progress set(long done) {
        this.done = done;
        redraw(false);
        return this;
    }

    public synchronized Progress add(long delta) {
        this.done += delta;
        redraw(false);
        return this;
    }

    /**
     * How much of the work is done when the counted steps cost different amounts of time (a CUDA object takes
     * several times a C++ one): the bar and the ETA follow {@code done / total} of this measure, the counts
     * still show the steps. A total of 0 or less goes back to the counts.
     */
    public synchronized Progress work(double done, double total) {
        this.workDone = Math.max(0, done);
        this.workTotal = total;
        redraw(false);
        return this;
    }

    public synchronized Progress detail(String detail) {
        this.detail = detail == null ? "" : detail;
        redraw(false);
        return this;
    }

    public synchronized long done() {
        return done;
    }

    /** Draws the final, successful state: the bar full. */
    public synchronized void finish(String summary) {
        if (!"running".equals(state)) return;
        if (total > 0) done = Math.max(done, total);
        else { total = Math.max(1, done); done = total; }
        state = "done";
        detail = summary == null ? "" : summary;
        redraw(true);
    }

    public void finish() {
        finish("");
    }

    /** Draws the final, failed state, keeping how far it got. */
    public synchronized void fail(String why) {
        if (!"running".equals(state)) return;
        state = "failed";
        detail = why == null ? "" : why;
        redraw(true);
    }

    /** A bar still running when closed was stopped early (error or interrupt). */
    @Override
    public synchronized void close() {
        if ("running".equals(state)) fail("stopped");
    }

    public synchronized int draws() {
        return draws;
    }

    public synchronized double fraction() {
        if ("done".equals(state)) return 1.0;
        if (workTotal > 0) return Math.min(1.0, workDone / workTotal);
        if (total <= 0) return 0;
        return Math.min(1.0, (double) done / total);
    }

    private void redraw(boolean force) {
        long now = clock.getAsLong();
        if (!force && now - lastDraw < MIN_REDRAW_NANOS) return;
        lastDraw = now;
        draws++;
        view.update(html(), text());
    }

    private double seconds() {
        return (clock.getAsLong() - started) / 1e9;
    }

    private String counts() {
        return switch (unit) {
            case BYTES -> Units.bytes(done) + (total > 0 ? " / " + Units.bytes(total) : "");
            case COUNT, STEPS -> done + (total > 0 ? " / " + total : "");
        };
    }

    private String rate() {
        double s = seconds();
        if (unit != Unit.BYTES || s < 0.5 || done <= 0) return "";
        return Units.bytes((long) (done / s)) + "/s";
    }

    private String eta() {
        double s = seconds();
        double f = fraction();
        if (!"running".equals(state) || f <= 0 || f >= 1 || s < 1) return "";
        double left = s * (1 - f) / f;
        return "ETA " + Units.duration(left);
    }

    private String timing() {
        return "running".equals(state) ? "" : Units.duration(seconds());
    }

    private String percent() {
        return String.format(Locale.ROOT, "%.0f%%", fraction() * 100);
    }

    String text() {
        int width = 30;
        int full = (int) Math.round(fraction() * width);
        StringBuilder b = new StringBuilder();
        b.append(title).append(" [");
        b.append("#".repeat(full)).append(".".repeat(width - full)).append("] ").append(percent());
        for (String part : new String[] {counts(), rate(), eta(), timing(), stateWord(), detail}) {
            if (!part.isEmpty()) b.append("  ").append(part);
        }
        return b.toString();
    }

    private String stateWord() {
        return switch (state) {
            case "done" -> "done";
            case "failed" -> "FAILED";
            default -> "";
        };
    }

    String html() {
        String pct = String.format(Locale.ROOT, "%.1f", fraction() * 100);
        String color = switch (state) {
            case "done" -> "#2e7d32";
            case "failed" -> "#c62828";
            default -> "#1976d2";
        };
        StringBuilder info = new StringBuilder();
        for (String part : new String[] {counts(), rate(), eta(), timing(), stateWord()}) {
            if (!part.isEmpty()) info.append(info.length() > 0 ? " · " : "").append(Html.escape(part));
        }
        return "<div class=\"llamagic-progress\" data-state=\"" + state + "\" data-percent=\"" + pct + "\""
                + " style=\"font-family:monospace;font-size:12px;margin:2px 0\">"
                + "<div><b>" + Html.escape(title) + "</b> " + percent() + " · " + info + "</div>"
                + "<div style=\"background:#e0e0e0;border-radius:3px;height:10px;width:100%;max-width:640px\">"
                + "<div style=\"background:" + color + ";height:10px;border-radius:3px;width:" + pct + "%\"></div></div>"
                + (detail.isEmpty() ? "" : "<div style=\"color:#555\">" + Html.escape(detail) + "</div>")
                + "</div>";
    }
}
