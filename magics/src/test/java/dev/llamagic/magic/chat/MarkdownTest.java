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
    void everythingElseIsEscaped() {
        String html = Markdown.toHtml("<script>alert('x')</script> & <b>not bold</b>");
        assertFalse(html.contains("<script>"));
        assertFalse(html.contains("<b>"));
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;"), html);
    }

    @Test
    void fencedCodeKeepsItsTextVerbatim() {
        String md = "Try:\n\n```python\nif a < b and c:\n    print(\"**no bold**\")\n```\nDone.";
        assertEquals("<p>Try:</p>\n<pre><code class=\"language-python\">if a &lt; b and c:\n    print(&quot;**no bold**&quot;)\n"
                + "</code></pre>\n<p>Done.</p>\n", Markdown.toHtml(md));
    }

    @Test
    void anUnterminatedFenceRunsToTheEnd() {
        assertEquals("<pre><code>x = 1\n</code></pre>\n", Markdown.toHtml("```\nx = 1"));
    }

    @Test
    void listsAndHeadings() {
        String md = "# Title\n\n- a\n- **b**\n  - nested\n\n1. first\n2. second\n";
        String html = Markdown.toHtml(md);
        assertEquals("<h1>Title</h1>\n<ul>\n<li>a</li>\n<li><strong>b</strong></li>\n<ul>\n<li>nested</li>\n</ul>\n</ul>\n"
                + "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n", html);
        assertTrue(Markdown.toHtml("3. three\n4. four").startsWith("<ol start=\"3\">"));
    }

    @Test
    void loneMarkersStayText() {
        assertEquals("<p>2 * 3 * 4 and snake_case_name</p>\n", Markdown.toHtml("2 * 3 * 4 and snake_case_name"));
        assertEquals("<p>a ` b</p>\n", Markdown.toHtml("a ` b"));
    }

    @Test
    void quotesAndRules() {
        assertEquals("<blockquote><p>quoted <strong>x</strong></p>\n</blockquote>\n<hr>\n", Markdown.toHtml("> quoted **x**\n\n---"));
    }

    @Test
    void emptyAnswer() {
        assertEquals("", Markdown.toHtml(""));
    }
}
