package dev.llamagic.engine.hub;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code --include} / {@code --exclude} as the official client applies them: Python {@code fnmatch} on the
 * file's repo path, where {@code *} also matches {@code /}; a pattern ending in {@code /} gets {@code *}
 * appended; comma-separated lists are split; exclude wins over include.
 */
public final class Patterns {
    private final List<String> include;
    private final List<String> exclude;
    private final List<Pattern> includeRx;
    private final List<Pattern> excludeRx;

    public Patterns(List<String> include, List<String> exclude) {
        this.include = normalize(include);
        this.exclude = normalize(exclude);
        this.includeRx = this.include.stream().map(Patterns::compile).toList();
        this.excludeRx = this.exclude.stream().map(Patterns::compile).toList();
    }

    public static Patterns all() {
        return new Patterns(List.of(), List.of());
    }

    public List<String> include() {
        return include;
    }

    public List<String> exclude() {
        return exclude;
    }

    public boolean selects(String path) {
        for (Pattern p : excludeRx) if (p.matcher(path).matches()) return false;
        if (includeRx.isEmpty()) return true;
        for (Pattern p : includeRx) if (p.matcher(path).matches()) return true;
        return false;
    }

    static List<String> normalize(List<String> raw) {
        List<String> out = new ArrayList<>();
        if (raw == null) return out;
        for (String r : raw) {
            if (r == null) continue;
            for (String p : r.split(",")) {
                p = p.strip();
                // shell habit: --include '*.json' arrives with its quotes in a notebook magic
                if (p.length() >= 2 && (p.startsWith("'") && p.endsWith("'") || p.startsWith("\"") && p.endsWith("\""))) {
                    p = p.substring(1, p.length() - 1).strip();
                }
                if (p.isEmpty()) continue;
                out.add(p.endsWith("/") ? p + "*" : p);
            }
        }
        return List.copyOf(out);
    }

    /** Python's fnmatch.translate: * → .*, ? → ., [seq], [!seq]; everything else literal. */
    static Pattern compile(String pat) {
        StringBuilder rx = new StringBuilder();
        int i = 0;
        int n = pat.length();
        while (i < n) {
            char c = pat.charAt(i++);
            if (c == '*') {
                rx.append(".*");
            } else if (c == '?') {
                rx.append('.');
            } else if (c == '[') {
                int j = i;
                if (j < n && pat.charAt(j) == '!') j++;
                if (j < n && pat.charAt(j) == ']') j++;
                while (j < n && pat.charAt(j) != ']') j++;
                if (j >= n) {
                    rx.append("\\[");
                } else {
                    String stuff = pat.substring(i, j).replace("\\", "\\\\");
                    i = j + 1;
                    if (stuff.startsWith("!")) stuff = "^" + stuff.substring(1);
                    else if (stuff.startsWith("^")) stuff = "\\" + stuff;
                    rx.append('[').append(stuff.replace("[", "\\[").replace("&&", "\\&\\&")).append(']');
                }
            } else {
                rx.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(rx.toString(), Pattern.DOTALL);
    }
}
