package dev.llamagic.magic.serve;

import dev.llamagic.core.Context;
import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.WebUi;
import dev.llamagic.util.Html;

/** The line after {@code %serve} that opens the server's web UI from the notebook's browser (a link). */
final class WebUiView {
    private WebUiView() {}

    static void show(Context ctx, LlamaServer s) {
        if (!WebUi.served(s)) return; // a build without the UI's assets
        WebUi.Address a = WebUi.address(ctx.env(), s);
        String how = a.proxied() ? " (through JupyterLab's proxy)" : "";
        ctx.notebook().html("<div>web UI: <a href=\"" + Html.escape(a.url()) + "\" target=\"_blank\">" + Html.escape(a.url())
                + "</a>" + Html.escape(how) + "</div>", "web UI: " + a.url() + how);
    }
}
