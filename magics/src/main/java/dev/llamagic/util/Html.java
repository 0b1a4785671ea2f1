package dev.llamagic.util;

import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/** Small HTML helpers: escaping and Tablesaw tables as HTML tables that JupyterLab styles like pandas'. */
public final class Html {
    private Html() {}

    public static String escape(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    public static String table(Table t) {
        StringBuilder b = new StringBuilder();
        b.append("<div class=\"llamagic-table\">");
        if (t.name() != null && !t.name().isBlank()) {
            b.append("<div class=\"llamagic-table-title\"><b>").append(escape(t.name())).append("</b></div>");
        }
        b.append("<table class=\"dataframe\"><thead><tr>");
        for (Column<?> c : t.columns()) {
            b.append("<th>").append(escape(c.name())).append("</th>");
        }
        b.append("</tr></thead><tbody>");
        for (int r = 0; r < t.rowCount(); r++) {
            b.append("<tr>");
            for (Column<?> c : t.columns()) {
                b.append("<td>").append(escape(c.isMissing(r) ? "" : c.getString(r))).append("</td>");
            }
            b.append("</tr>");
        }
        b.append("</tbody></table></div>");
        return b.toString();
    }

    public static String pre(String text) {
        return "<pre>" + escape(text) + "</pre>";
    }
}
