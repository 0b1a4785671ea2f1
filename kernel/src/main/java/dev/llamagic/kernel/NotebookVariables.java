package dev.llamagic.kernel;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.VarSnippet;
import org.dflib.jjava.jupyter.kernel.BaseKernel;

/**
 * {@code $name} and {@code ${name}} in a magic's arguments take the value of the notebook's Java variable of
 * that name, as IPython does for Python variables: a papermill {@code parameters} cell of plain Java variables
 * ({@code String MODEL = "Qwen/Qwen3-0.6B";}) then drives the magics ({@code %ms-download $MODEL}). A name
 * that is not a variable stays as written; {@code $$} is a literal {@code $}.
 */
final class NotebookVariables {
    private static final Pattern REF = Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)}|\\$([A-Za-z_][A-Za-z0-9_]*)");

    private final JShell shell;

    private NotebookVariables(JShell shell) {
        this.shell = shell;
    }

    /** The JShell behind a JJava kernel ({@code JavaKernel.getJShell()}), found reflectively: the API jar we compile against lacks it. */
    static NotebookVariables of(BaseKernel kernel) {
        try {
            Method m = kernel.getClass().getMethod("getJShell");
            return new NotebookVariables((JShell) m.invoke(kernel));
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            return new NotebookVariables(null);
        }
    }

    List<String> expand(List<String> args) {
        if (shell == null) return args;
        List<String> out = new ArrayList<>(args.size());
        for (String a : args) out.add(expand(a));
        return out;
    }

    String expand(String arg) {
        if (arg.indexOf('$') < 0) return arg;
        Matcher m = REF.matcher(arg);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            String replacement = name == null ? "$" : value(name).orElse(m.group());
            m.appendReplacement(b, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(b);
        return b.toString();
    }

    Optional<String> value(String name) {
        try {
            for (VarSnippet v : shell.variables().toList()) {
                if (v.name().equals(name) && shell.status(v) == Snippet.Status.VALID) {
                    String s = shell.varValue(v);
                    return Optional.of("String".equals(v.typeName()) || "java.lang.String".equals(v.typeName()) ? unquote(s) : s);
                }
            }
        } catch (RuntimeException e) {
            // JShell busy or closed: leave the reference as written
        }
        return Optional.empty();
    }

    /** JShell shows a String value as a Java literal: quoted and escaped. */
    static String unquote(String s) {
        if (s == null || s.length() < 2 || s.charAt(0) != '"' || s.charAt(s.length() - 1) != '"') return s;
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() - 1) {
                char n = s.charAt(++i);
                switch (n) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                        i += 4;
                    }
                    default -> b.append(n);
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
