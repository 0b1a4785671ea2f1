package dev.llamagic.core;

import dev.llamagic.util.Html;

import tech.tablesaw.api.Table;

/**
 * Where a command reports what it does: the notebook cell in Jupyter, the terminal from the CLI.
 * Every method is safe to call from any thread.
 */
public interface Notebook {

    /** A line of plain text. */
    void print(String line);

    /** A line meant as a warning or note the user should not miss. */
    void warn(String line);

    /** A rich block: HTML for the notebook, the text for terminals and plain-text viewers. */
    void html(String html, String text);

    /** A block that can be redrawn in place (progress bars, streaming chat). */
    LiveView live(String html, String text);

    /** A Tablesaw table, as an HTML table with a text fallback. */
    default void table(Table table) {
        html(Html.table(table), table.printAll());
    }

    /** A progress bar drawn in place, throttled to a few redraws a second. */
    default Progress progress(String title, long total, Progress.Unit unit) {
        return new Progress(this, title, total, unit);
    }

    /** One display that can be redrawn in place. */
    interface LiveView {
        void update(String html, String text);
    }
}
