package dev.llamagic.engine.build;

import dev.llamagic.core.UserError;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Messages that mention build options. The engine writes them with {@code {option|engine words}} where an option
 * comes up; rendered plainly, the engine's words stand there; a caller that has its own names for the options (a
 * magic: its flags) renders them with {@link #render(String, Map)}. Options: {@code cuda}, {@code cpu},
 * {@code cudaArch}, {@code source}, {@code rebuild}, {@code command}.
 */
public final class Wording {
    private static final Pattern TOKEN = Pattern.compile("\\{(\\w+)\\|([^{}]*)}");

    private Wording() {}

    /** {@code template} with each {@code {option|words}} replaced by {@code names.get(option)}, else its words. */
    public static String render(String template, Map<String, String> names) {
        Matcher m = TOKEN.matcher(template);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String name = names.get(m.group(1));
            m.appendReplacement(b, Matcher.quoteReplacement(name != null ? name : m.group(2)));
        }
        return m.appendTail(b).toString();
    }

    /** {@code template} in the engine's own words. */
    public static String plain(String template) {
        return render(template, Map.of());
    }

    /** A build error whose message names options: {@link #getMessage()} in the engine's words, {@link #in} in a caller's. */
    public static final class Error extends UserError {
        private final String template;

        Error(String template) {
            super(plain(template));
            this.template = template;
        }

        /** The message with the options named as {@code names} says. */
        public String in(Map<String, String> names) {
            return render(template, names);
        }
    }
}
