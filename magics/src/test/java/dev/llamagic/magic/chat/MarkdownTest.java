package dev.llamagic.magic.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MarkdownTest {

    @Test
    void paragraphsAndInlineSpans() {
        assertEquals("<p>Hello <strong>bold</strong> and <em>it</em> with <code>x &lt; y</code></p>\n",
                Markdown.toHtml("Hello **bold** and *it* with `x < y`"));
        assertEquals("<p>one\ntwo</p>\n<p>three</p>\n", Markdown.toHtml("one\ntwo\n\nthree"));
    }

    @Test
    void rawHtmlIsEscapedNotRendered() {
        String html = Markdown.toHtml("<script>alert('x')</script> & <b>not bold</b>\n\n<div onclick=\"x()\">block</div>\n\n"
                + "<img src=x onerror=alert(1)>");
        assertFalse(html.contains("<script"), html);
        assertFalse(html.contains("<b>"), html);
        assertFalse(html.contains("<div"), html);
        assertFalse(html.contains("<img"), html);
        assertTrue(html.contains("&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;"), html);
        assertTrue(html.contains("<p>&lt;div onclick=&quot;x()&quot;&gt;block&lt;/div&gt;</p>"), html);
    }

    @Test
    void unsafeLinksLoseTheirUrlAndImagesAreNotFetched() {
        String html = Markdown.toHtml("[x](javascript:alert(1)) [y](https://example.com/a) ![chart *z*](https://t.example/p.png?q=1)");
        assertFalse(html.contains("javascript:"), html);
        assertTrue(html.contains("<a rel=\"nofollow\" href=\"\">x</a>"), html);
        assertTrue(html.contains("<a rel=\"nofollow\" href=\"https://example.com/a\">y</a>"), html);
        assertFalse(html.contains("<img"), "an image is a link, not fetched when the answer shows: " + html);
        assertTrue(html.contains("<a rel=\"nofollow\" href=\"https://t.example/p.png?q=1\">chart <em>z</em></a>"), html);
    }

    @Test
    void fencedCodeKeepsItsTextVerbatim() {
        String md = "Try:\n\n```python\nif a < b and c:\n    print(\"**no bold**\")\n```\nDone.";
        assertEquals("<p>Try:</p>\n<pre><code class=\"language-python\">if a &lt; b and c:\n    print(&quot;**no bold**&quot;)\n"
                + "</code></pre>\n<p>Done.</p>\n", Markdown.toHtml(md));
    }

    @Test
    void anUnterminatedFenceRunsToTheEnd() {
        // what a streaming answer looks like mid-block
        assertEquals("<pre><code>x = 1\n</code></pre>\n", Markdown.toHtml("```\nx = 1"));
    }

    @Test
    void listsAndHeadings() {
        String md = "# Title\n\n- a\n- **b**\n  - nested\n\n1. first\n2. second\n";
        assertEquals("<h1>Title</h1>\n<ul>\n<li>a</li>\n<li><strong>b</strong>\n<ul>\n<li>nested</li>\n</ul>\n</li>\n</ul>\n"
                + "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n", Markdown.toHtml(md));
        assertTrue(Markdown.toHtml("3. three\n4. four").startsWith("<ol start=\"3\">"));
    }

    @Test
    void tables() {
        String html = Markdown.toHtml("| model | tok/s |\n|---|--:|\n| qwen | <i>12</i> |");
        assertEquals("<table>\n<thead>\n<tr>\n<th>model</th>\n<th align=\"right\">tok/s</th>\n</tr>\n</thead>\n"
                + "<tbody>\n<tr>\n<td>qwen</td>\n<td align=\"right\">&lt;i&gt;12&lt;/i&gt;</td>\n</tr>\n</tbody>\n</table>\n", html);
    }

    @Test
    void loneMarkersStayText() {
        assertEquals("<p>2 * 3 * 4 and snake_case_name</p>\n", Markdown.toHtml("2 * 3 * 4 and snake_case_name"));
        assertEquals("<p>a ` b</p>\n", Markdown.toHtml("a ` b"));
    }

    @Test
    void quotesAndRules() {
        assertEquals("<blockquote>\n<p>quoted <strong>x</strong></p>\n</blockquote>\n<hr />\n", Markdown.toHtml("> quoted **x**\n\n---"));
    }

    @Test
    void emptyAnswer() {
        assertEquals("", Markdown.toHtml(""));
        assertEquals("", Markdown.toHtml(null));
    }
}
