package dev.llamagic.magic;

import dev.llamagic.core.UserError;

import java.util.List;

/**
 * What the magics say after an engine error that carries a hint: the engine says what is wrong, the magic layer
 * says which magic or flag fixes it.
 */
final class Hints {
    private Hints() {}

    /** The words for the first hint found on {@code e} or its causes; empty when none. */
    static String text(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UserError u && !u.hint().isEmpty()) return text(u.hint());
        }
        return "";
    }

    static String text(List<String> hint) {
        String arg = hint.size() > 1 ? hint.get(1) : "";
        return switch (hint.get(0)) {
            case "build-first" -> ": run %build-llama first";
            case "build-target" -> " (build it with %build-llama --target " + arg + ")";
            case "build-cuda-arch" -> " (%build-llama --cuda --cuda-arch " + arg + ")";
            case "dsw-instance" -> " or pass --instance dsw-...; %dsw list shows the instances";
            case "dsw-snapshots" -> " (%dsw snapshots shows it)";
            case "dsw-outside" -> ": pass --region (and --instance dsw-...) and provide Alibaba Cloud credentials";
            case "dsw-region" -> " or pass --region / --endpoint";
            case "dsw-endpoint" -> ", or check --endpoint";
            case "dsw-region-endpoint" -> ", or a wrong --region / --endpoint";
            case "eas-region" -> " or pass --region";
            case "eas-endpoint" -> ", or check --region / --endpoint";
            case "eas-storage" -> " (--oss oss://bucket/dir/ or --nas server:/dir)";
            case "eas-status" -> " (%eas status " + arg + " shows it)";
            default -> "";
        };
    }
}
