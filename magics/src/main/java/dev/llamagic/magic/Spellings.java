package dev.llamagic.magic;

import dev.llamagic.util.Similar;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Flag spellings users bring from the official tools: {@code --local_dir} and {@code --local-dir} name the same
 * option (whichever one a command declares), and a mistyped flag gets the nearest one as a hint.
 */
final class Spellings {
    private Spellings() {}

    /** Every long and short option name of {@code cl} and its subcommands. */
    static TreeSet<String> names(CommandLine cl) {
        TreeSet<String> out = new TreeSet<>();
        for (CommandLine.Model.OptionSpec o : cl.getCommandSpec().options()) out.addAll(List.of(o.names()));
        for (CommandLine sub : cl.getSubcommands().values()) out.addAll(names(sub));
        return out;
    }

    static String canonical(String flag) {
        return flag.replace('_', '-');
    }

    /**
     * {@code args} with each {@code --flag} or {@code --flag=value} that the command does not declare, but declares
     * with {@code _} and {@code -} swapped, spelled as declared. Nothing after a bare {@code --} is touched (those
     * arguments go to another program as they are).
     */
    static List<String> normalize(CommandLine cl, List<String> args) {
        TreeSet<String> known = names(cl);
        Map<String, String> byCanonical = new LinkedHashMap<>();
        for (String n : known) byCanonical.putIfAbsent(canonical(n), n);
        List<String> out = new ArrayList<>(args.size());
        boolean passThrough = false;
        for (String a : args) {
            if (passThrough || !a.startsWith("--") || a.equals("--")) {
                if (a.equals("--")) passThrough = true;
                out.add(a);
                continue;
            }
            int eq = a.indexOf('=');
            String name = eq < 0 ? a : a.substring(0, eq);
            String declared = known.contains(name) ? name : byCanonical.get(canonical(name));
            out.add(declared == null ? a : declared + (eq < 0 ? "" : a.substring(eq)));
        }
        return out;
    }

    /** The declared option nearest to {@code typed}, if one is near enough to be what the user meant. */
    static Optional<String> nearest(CommandLine cl, String typed) {
        String t = canonical(typed.contains("=") ? typed.substring(0, typed.indexOf('=')) : typed);
        String bare = t.replaceFirst("^-+", "");
        if (bare.isEmpty()) return Optional.empty();
        record Scored(String name, int distance) {}
        return names(cl).stream()
                .filter(n -> n.startsWith("--") || t.length() <= 2)
                .map(n -> {
                    String nb = canonical(n).replaceFirst("^-+", "");
                    int d = Similar.editDistance(bare, nb);
                    if (bare.length() >= 3 && nb.startsWith(bare)) d = Math.min(d, 1);
                    return new Scored(n, d);
                })
                // a flag of three letters or fewer is only ever a prefix match: one letter off a short flag is
                // another word (--gpu is not --cpu)
                .filter(s -> s.distance() <= (bare.length() <= 3 ? 0 : Math.max(1, Math.min(3, bare.length() / 3))))
                .min(Comparator.comparingInt(Scored::distance).thenComparing(Scored::name))
                .map(Scored::name);
    }

    /**
     * The one line for an unknown flag: only the flag (not the values after it, which picocli also lists as
     * unmatched), with the nearest declared flag when there is one.
     */
    static Optional<String> unknownOption(CommandLine cl, CommandLine.UnmatchedArgumentException e) {
        List<String> unmatched = e.getUnmatched();
        if (unmatched == null) return Optional.empty();
        for (String u : unmatched) {
            if (!u.startsWith("-") || u.equals("-") || u.equals("--") || u.matches("-\\d.*")) continue;
            CommandLine where = e.getCommandLine() == null ? cl : e.getCommandLine();
            String hint = nearest(where, u).map(n -> "; did you mean " + n + "?").orElse("");
            return Optional.of("Unknown option: '" + u + "'" + hint);
        }
        return Optional.empty();
    }
}
