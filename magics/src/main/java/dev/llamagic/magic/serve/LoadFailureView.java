package dev.llamagic.magic.serve;

import dev.llamagic.core.Notebook;
import dev.llamagic.engine.serve.LoadFailure;
import dev.llamagic.util.Html;

/** A failed load in one block: why, the last relevant log lines, and where the full log is. */
public final class LoadFailureView {
    private LoadFailureView() {}

    public static String html(LoadFailure f) {
        return "<div class=\"llamagic-serve-failed\" style=\"border-left:4px solid #c62828;padding:4px 8px\">"
                + "<b>" + Html.escape(f.headline()) + "</b><pre style=\"font-size:11px\">" + Html.escape(String.join("\n", f.lines()))
                + "</pre><div>full log: <code>" + Html.escape(f.log().toString()) + "</code></div></div>";
    }

    public static String text(LoadFailure f) {
        return f.headline() + "\n" + String.join("\n", f.lines()) + "\nfull log: " + f.log();
    }

    public static void show(Notebook out, LoadFailure f) {
        out.html(html(f), text(f));
    }
}
