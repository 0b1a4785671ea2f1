package dev.llamagic.magic.chat;

import dev.llamagic.util.Html;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small Markdown to HTML renderer for chat answers: headings, paragraphs, fenced code blocks, inline code,
 * bold, italics, bullet and numbered lists, block quotes and horizontal rules. Everything else is escaped:
 * a model's answer never injects HTML into the notebook.
 */
public final class Markdown {
    private Markdown() {}

    private static final Pattern FENCE = Pattern.compile("^ {0,3}(```+|~~~+)\\s*([\\w+#.-]*).*$");
    private static final Pattern HEADING = Pattern.compile("^ {0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern BULLET = Pattern.compile("^(\\s*)[-*+]\\s+(.*)$");
    private static final Pattern NUMBERED = Pattern.compile("^(\\s*)(\\d{1,9})[.)]\\s+(.*)$");
    private static final Pattern RULE = Pattern.compile("^ {0,3}([-*_])(\\s*\\1){2,}\\s*$");
    private static final Pattern QUOTE = Pattern.compile("^ {0,3}>\\s?(.*)$");

    public static String toHtml(String markdown) {
        if (markdown == null || markdown.isEmpty()) return "";
        String[] lines = markdown.replace("\r\n", "\n").split("\n", -1);
        StringBuilder out = new StringBuilder();
        List<String> para = new ArrayList<>();
        int i = 0;
        while (i < lines.length) {
            String line = lines[i];
            Matcher fence = FENCE.matcher(line);
            if (fence.matches()) {
                flush(out, para);
                String marker = fence.group(1);
                String lang = fence.group(2);
                StringBuilder code = new StringBuilder();
                i++;
                while (i < lines.length && !lines[i].strip().startsWith(marker)) {
                    code.append(lines[i]).append('\n');
                    i++;
                }
                i++; // the closing fence (or the end of an unterminated block)
                out.append("<pre><code").append(lang.isEmpty() ? "" : " class=\"language-" + Html.escape(lang) + "\"")
                        .append('>').append(Html.escape(code.toString())).append("</code></pre>\n");
                continue;
            }
            if (line.isBlank()) {
                flush(out, para);
                i++;
                continue;
            }
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                flush(out, para);
                int level = h.group(1).length();
                out.append("<h").append(level).append('>').append(inline(h.group(2))).append("</h").append(level).append(">\n");
                i++;
                continue;
            }
            if (RULE.matcher(line).matches() && para.isEmpty()) {
                out.append("<hr>\n");
                i++;
                continue;
            }
            if (QUOTE.matcher(line).matches()) {
                flush(out, para);
                StringBuilder quoted = new StringBuilder();
                while (i < lines.length) {
                    Matcher q = QUOTE.matcher(lines[i]);
                    if (!q.matches()) break;
                    quoted.append(q.group(1)).append('\n');
                    i++;
                }
                out.append("<blockquote>").append(toHtml(quoted.toString())).append("</blockquote>\n");
                continue;
            }
            if (BULLET.matcher(line).matches() || NUMBERED.matcher(line).matches()) {
                flush(out, para);
                i = list(lines, i, out);
                continue;
            }
            para.add(line.strip());
            i++;
        }
        flush(out, para);
        return out.toString();
    }

    /** A list starting at line {@code i}; returns the first line after it. Nested by indentation. */
    private static int list(String[] lines, int i, StringBuilder out) {
        Matcher first = BULLET.matcher(lines[i]);
        boolean ordered = !first.matches();
        int indent = indent(lines[i]);
        String tag = ordered ? "ol" : "ul";
        if (ordered) {
            Matcher n = NUMBERED.matcher(lines[i]);
            n.matches();
            String start = n.group(2);
            out.append(start.equals("1") ? "<ol>" : "<ol start=\"" + Integer.parseInt(start) + "\">");
        } else {
            out.append("<ul>");
        }
        out.append('\n');
        while (i < lines.length) {
            String line = lines[i];
            if (line.isBlank()) {
                // a blank line inside a list continues it when the next line is an item at this level
                if (i + 1 < lines.length && isItem(lines[i + 1]) && indent(lines[i + 1]) >= indent) {
                    i++;
                    continue;
                }
                break;
            }
            if (!isItem(line)) {
                if (indent(line) > indent) {
                    // continuation text of the previous item: already closed, so show it as its own paragraph in the item
                    out.append("<li style=\"list-style:none\">").append(inline(line.strip())).append("</li>\n");
                    i++;
                    continue;
                }
                break;
            }
            int ind = indent(line);
            if (ind < indent) break;
            if (ind > indent) {
                i = list(lines, i, out);
                continue;
            }
            boolean isBullet = BULLET.matcher(line).matches();
            if (isBullet == ordered) break; // another kind of list at the same level
            String text = isBullet ? group(BULLET, line, 2) : group(NUMBERED, line, 3);
            out.append("<li>").append(inline(text)).append("</li>\n");
            i++;
        }
        out.append("</").append(tag).append(">\n");
        return i;
    }

    private static boolean isItem(String line) {
        return BULLET.matcher(line).matches() || NUMBERED.matcher(line).matches();
    }

    private static String group(Pattern p, String line, int g) {
        Matcher m = p.matcher(line);
        return m.matches() ? m.group(g) : line;
    }

    private static int indent(String line) {
        int n = 0;
        while (n < line.length() && (line.charAt(n) == ' ' || line.charAt(n) == '\t')) n++;
        return n;
    }

    private static void flush(StringBuilder out, List<String> para) {
        if (para.isEmpty()) return;
        out.append("<p>");
        for (int k = 0; k < para.size(); k++) {
            String l = para.get(k);
            boolean hardBreak = k < para.size() - 1 && l.endsWith("  ");
            out.append(inline(l.strip()));
            if (k < para.size() - 1) out.append(hardBreak ? "<br>\n" : "\n");
        }
        out.append("</p>\n");
        para.clear();
    }

    /** Inline spans: `code`, **bold**, __bold__, *italic*, _italic_; everything escaped. */
    static String inline(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && "\\`*_{}[]()#+-.!<>".indexOf(text.charAt(i + 1)) >= 0) {
                out.append(Html.escape(String.valueOf(text.charAt(i + 1))));
                i += 2;
                continue;
            }
            if (c == '`') {
                int ticks = run(text, i, '`');
                String fence = "`".repeat(ticks);
                int end = text.indexOf(fence, i + ticks);
                if (end > 0) {
                    String code = text.substring(i + ticks, end);
                    if (code.length() > 1 && code.startsWith(" ") && code.endsWith(" ")) code = code.substring(1, code.length() - 1);
                    out.append("<code>").append(Html.escape(code)).append("</code>");
                    i = end + ticks;
                    continue;
                }
                out.append(Html.escape(fence));
                i += ticks;
                continue;
            }
            if ((c == '*' || c == '_') && i + 1 < text.length()) {
                int n = run(text, i, c);
                if (n >= 2) {
                    String marker = String.valueOf(c).repeat(2);
                    int end = closing(text, i + 2, marker);
                    if (end > 0) {
                        out.append("<strong>").append(inline(text.substring(i + 2, end))).append("</strong>");
                        i = end + 2;
                        continue;
                    }
                } else if (!Character.isWhitespace(text.charAt(i + 1)) && (c == '*' || i == 0 || !Character.isLetterOrDigit(text.charAt(i - 1)))) {
                    int end = closing(text, i + 1, String.valueOf(c));
                    if (end > 0 && (c == '*' || end + 1 >= text.length() || !Character.isLetterOrDigit(text.charAt(end + 1)))) {
                        out.append("<em>").append(inline(text.substring(i + 1, end))).append("</em>");
                        i = end + 1;
                        continue;
                    }
                }
                out.append(Html.escape(String.valueOf(c).repeat(n)));
                i += n;
                continue;
            }
            out.append(Html.escape(String.valueOf(c)));
            i++;
        }
        return out.toString();
    }

    private static int run(String s, int i, char c) {
        int n = 0;
        while (i + n < s.length() && s.charAt(i + n) == c) n++;
        return n;
    }

    /** The index of the closing {@code marker} after {@code from} that follows a non-space character, or -1. */
    private static int closing(String s, int from, String marker) {
        int k = s.indexOf(marker, from);
        while (k > from) {
            if (!Character.isWhitespace(s.charAt(k - 1))) {
                // for a single marker, skip a double one (it belongs to bold)
                if (marker.length() == 1 && k + 1 < s.length() && s.charAt(k + 1) == marker.charAt(0)) {
                    k = s.indexOf(marker, k + 2);
                    continue;
                }
                return k;
            }
            k = s.indexOf(marker, k + 1);
        }
        return -1;
    }
}
