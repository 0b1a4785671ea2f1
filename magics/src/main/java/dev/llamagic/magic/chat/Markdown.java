package dev.llamagic.magic.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.node.Image;
import org.commonmark.node.Node;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.NodeRenderer;
import org.commonmark.renderer.html.HtmlNodeRendererContext;
import org.commonmark.renderer.html.HtmlRenderer;
import org.commonmark.renderer.html.HtmlWriter;

/**
 * Chat answers as HTML: CommonMark with GitHub's tables (commonmark-java). Raw HTML in an answer is escaped,
 * never rendered; link URLs with unsafe schemes ({@code javascript:}) are dropped; an image becomes a link to
 * it, so that showing an answer fetches nothing (a model's answer could otherwise send data away in an
 * image's URL).
 */
public final class Markdown {
    private Markdown() {}

    private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create());
    // both are immutable and thread-safe
    private static final Parser PARSER = Parser.builder().extensions(EXTENSIONS).build();
    private static final HtmlRenderer RENDERER = HtmlRenderer.builder().extensions(EXTENSIONS)
            .escapeHtml(true).sanitizeUrls(true).nodeRendererFactory(ImageAsLink::new).build();

    public static String toHtml(String markdown) {
        if (markdown == null || markdown.isEmpty()) return "";
        return RENDERER.render(PARSER.parse(markdown));
    }

    /** {@code ![alt](url)} → {@code <a href="url">alt</a>}. */
    private static final class ImageAsLink implements NodeRenderer {
        private final HtmlNodeRendererContext ctx;

        ImageAsLink(HtmlNodeRendererContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Set<Class<? extends Node>> getNodeTypes() {
            return Set.of(Image.class);
        }

        @Override
        public void render(Node node) {
            Image image = (Image) node;
            String url = ctx.urlSanitizer().sanitizeLinkUrl(ctx.encodeUrl(image.getDestination()));
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("rel", "nofollow");
            attrs.put("href", url);
            if (image.getTitle() != null) attrs.put("title", image.getTitle());
            HtmlWriter html = ctx.getWriter();
            html.tag("a", ctx.extendAttributes(image, "a", attrs));
            if (image.getFirstChild() == null) html.text(image.getDestination());
            for (Node child = image.getFirstChild(); child != null; ) {
                Node next = child.getNext();
                ctx.render(child);
                child = next;
            }
            html.tag("/a");
        }
    }
}
