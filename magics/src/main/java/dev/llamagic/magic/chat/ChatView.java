package dev.llamagic.magic.chat;

import dev.llamagic.engine.chat.ChatImage;
import dev.llamagic.engine.chat.ChatResult;

import dev.llamagic.util.Html;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.Progress;

/**
 * How an answer shows in the cell while it streams: one display redrawn in place (at most as often as a
 * progress bar), the reasoning apart and collapsed, the answer as plain text while it arrives and rendered as
 * Markdown at the end, followed by one line of numbers.
 */
public final class ChatView {
    private final Notebook notebook;
    private final Notebook.LiveView live;
    private final boolean showThinking;
    private final boolean liveUpdates;
    private String who;
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder answer = new StringBuilder();
    private long lastDraw;
    private java.util.List<ChatImage> images = java.util.List.of();

    /**
     * @param who          what answers ("qwen3 @ http://127.0.0.1:8080"), shown small
     * @param liveUpdates  false where redrawing in place makes no sense (a terminal): only the final state is drawn
     */
    public ChatView(Notebook notebook, String who, boolean showThinking, boolean liveUpdates) {
        this.who = who;
        this.showThinking = showThinking;
        this.liveUpdates = liveUpdates;
        this.live = liveUpdates ? notebook.live(html("streaming", null), "waiting for the first token…") : null;
        this.lastDraw = System.nanoTime();
        this.notebook = notebook;
    }

    /** The images sent with the question: thumbnails above the answer, and their count after the numbers. */
    public synchronized void images(java.util.List<ChatImage> imgs) {
        images = java.util.List.copyOf(imgs);
        if (liveUpdates && !images.isEmpty()) live.update(html("streaming", null), text(null));
    }

    /** What answered, as shown beside the numbers (e.g. with the model a router chose). */
    public synchronized void who(String w) {
        who = w;
    }

    public synchronized void delta(String r, String t) {
        reasoning.append(r);
        answer.append(t);
        long now = System.nanoTime();
        if (liveUpdates && now - lastDraw >= Progress.MIN_REDRAW_NANOS) {
            lastDraw = now;
            live.update(html("streaming", null), text(null));
        }
    }

    /** The final state: Markdown answer and the numbers. */
    public synchronized void finish(ChatResult result) {
        String summary = result.summaryLine();
        String html = html("done", summary);
        if (liveUpdates) {
            live.update(html, text(summary));
        } else {
            notebook.html(html, text(summary));
        }
    }

    /** The final state of a failed answer: what arrived, and why it stopped. */
    public synchronized void fail(String why) {
        if (liveUpdates) {
            live.update(html("failed", why), text(why));
        }
    }

    private String text(String footer) {
        StringBuilder b = new StringBuilder();
        for (ChatImage i : images) {
            b.append("[image: ").append(i.label()).append(", ").append(i.kind()).append(", ")
                    .append(dev.llamagic.util.Units.bytes(i.bytes().length)).append("]\n");
        }
        if (!images.isEmpty()) b.append('\n');
        if (reasoning.length() > 0) {
            b.append(showThinking ? "[thinking]\n" + reasoning.toString().strip() + "\n[/thinking]\n\n"
                    : "[thinking: " + reasoning.length() + " characters, hidden]\n\n");
        }
        b.append(answer.length() == 0 && footer == null ? "…" : answer.toString().strip());
        if (footer != null) b.append("\n\n").append(footer).append(imageNote());
        return b.toString();
    }

    private String html(String state, String footer) {
        StringBuilder b = new StringBuilder();
        b.append("<div class=\"llamagic-chat\" data-state=\"").append(state).append("\">");
        if (!images.isEmpty()) {
            b.append("<div class=\"llamagic-chat-images\" style=\"display:flex;gap:6px;margin-bottom:6px\">");
            for (ChatImage i : images) {
                b.append("<img src=\"").append(i.dataUrl()).append("\" alt=\"").append(Html.escape(i.label()))
                        .append("\" title=\"").append(Html.escape(i.label()))
                        .append("\" style=\"max-height:128px;max-width:192px;border:1px solid #ddd;border-radius:4px\">");
            }
            b.append("</div>");
        }
        if (reasoning.length() > 0) {
            boolean thinking = answer.length() == 0 && state.equals("streaming");
            b.append("<details class=\"llamagic-thinking\"").append(showThinking ? " open" : "").append(">")
                    .append("<summary style=\"color:#666;cursor:pointer\">")
                    .append(thinking ? "thinking… " : "thought for ")
                    .append(reasoning.length()).append(" characters</summary>")
                    .append("<div style=\"white-space:pre-wrap;color:#666;font-size:90%;border-left:3px solid #ddd;padding-left:8px\">")
                    .append(Html.escape(reasoning.toString().strip())).append("</div></details>");
        }
        if (state.equals("done")) {
            b.append("<div class=\"llamagic-answer\">").append(Markdown.toHtml(answer.toString().strip())).append("</div>");
        } else {
            b.append("<div class=\"llamagic-answer\" style=\"white-space:pre-wrap\">")
                    .append(answer.length() == 0 ? (reasoning.length() == 0 ? "<i style=\"color:#999\">waiting for the first token…</i>" : "")
                            : Html.escape(answer.toString()))
                    .append(state.equals("streaming") ? "<span style=\"color:#999\">▍</span>" : "")
                    .append("</div>");
        }
        if (footer != null) {
            String color = state.equals("failed") ? "#c62828" : "#666";
            b.append("<div class=\"llamagic-chat-stats\" style=\"color:").append(color).append(";font-size:11px;margin-top:4px\">")
                    .append(Html.escape(footer)).append(imageNote()).append(who == null ? "" : " · " + Html.escape(who)).append("</div>");
        }
        b.append("</div>");
        return b.toString();
    }

    /** " · with 1 image" after the numbers (the prompt count includes the image's tokens); empty without images. */
    private String imageNote() {
        return images.isEmpty() ? "" : " · with " + images.size() + (images.size() == 1 ? " image" : " images");
    }
}
