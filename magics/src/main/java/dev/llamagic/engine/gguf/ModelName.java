package dev.llamagic.engine.gguf;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code general.*} naming llama.cpp's converter derives without network (gguf-py's Metadata heuristics):
 * a model id such as {@code Qwen3-4B} or {@code Qwen/Qwen2.5-7B-Instruct} split into name, organization,
 * basename, finetune, version and size label; the size label from the parameter count; and the default
 * output file name ({@code Qwen3-4B-F16.gguf}).
 */
public record ModelName(String name, String organization, String basename, String finetune, String version,
                        String sizeLabel) {

    private static final Pattern VERSION = Pattern.compile("(?i)(v|iter)?\\d+([.]\\d+)*");
    private static final Pattern TYPE = Pattern.compile("(?i)i?q\\d(_\\w)*|b?fp?(16|32)");
    private static final Pattern SIZE = Pattern.compile("(?i)(([A]|\\d+[x])?\\d+([._]\\d+)?[KMBT][\\d]?|small|mini|medium|large|x?xl)");
    private static final Pattern FINETUNE = Pattern.compile("(?i)chat|instruct|vision|lora");
    private static final Pattern VERSION_WORD = Pattern.compile("^(v\\d+(?:\\.\\d+)*|\\d.*)$");

    /**
     * Names from {@code _name_or_path} in config.json (when it has at most one '/'), then from the model
     * directory's name, as llama.cpp fills them; the size label falls back to the parameter count.
     */
    public static ModelName derive(String nameOrPath, String dirName, long totalParams) {
        ModelName m = new ModelName(null, null, null, null, null, null);
        if (nameOrPath != null && nameOrPath.chars().filter(c -> c == '/').count() <= 1) {
            m = m.fill(components(nameOrPath, totalParams));
        }
        if (dirName != null) m = m.fill(components(dirName, totalParams));
        if (m.name == null) m = new ModelName(dirName, m.organization, m.basename, m.finetune, m.version, m.sizeLabel);
        if (m.sizeLabel == null && totalParams > 0) {
            m = new ModelName(m.name, m.organization, m.basename, m.finetune, m.version, sizeLabel(totalParams));
        }
        return m;
    }

    private ModelName fill(ModelName c) {
        return new ModelName(name != null ? name : (c.name == null ? null : idToTitle(c.name)),
                organization != null ? organization : (c.organization == null ? null : idToTitle(c.organization)),
                basename != null ? basename : c.basename, finetune != null ? finetune : c.finetune,
                version != null ? version : c.version, sizeLabel != null ? sizeLabel : c.sizeLabel);
    }

    /** gguf-py's get_model_id_components: (full name, org, basename, finetune, version, size label). */
    static ModelName components(String modelId, long totalParams) {
        if (modelId == null) return new ModelName(null, null, null, null, null, null);
        if (modelId.contains(" ")) return new ModelName(modelId, null, null, null, null, null);
        String org = null;
        String full = modelId;
        int slash = modelId.indexOf('/');
        if (slash >= 0) {
            org = modelId.substring(0, slash);
            full = modelId.substring(slash + 1);
        }
        if (org != null && !org.isEmpty() && org.charAt(0) == '.') org = null;
        List<String> parts = new ArrayList<>();
        for (String p : full.split("-", -1)) if (!p.isEmpty()) parts.add(p);
        List<Set<String>> types = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            Set<String> t = new LinkedHashSet<>();
            types.add(t);
            String part = parts.get(i);
            if (VERSION.matcher(part).matches()) {
                t.add("version");
            } else if (TYPE.matcher(part).matches()) {
                t.add("type");
                parts.set(i, part.toUpperCase(Locale.ROOT));
            } else if (i > 0 && SIZE.matcher(part).matches()) {
                part = part.replace("_", ".");
                if (Character.isDigit(part.charAt(part.length() - 1))) {
                    part = part.substring(0, part.length() - 2) + "." + part.charAt(part.length() - 1) + part.charAt(part.length() - 2);
                }
                if (part.length() > 1 && Character.isDigit(part.charAt(part.length() - 2))) {
                    char last = part.charAt(part.length() - 1);
                    if ("kmbt".indexOf(last) >= 0) part = part.substring(0, part.length() - 1) + Character.toUpperCase(last);
                }
                if (totalParams != 0) {
                    try {
                        int scale = " KMBT".indexOf(part.charAt(part.length() - 1));
                        double label = Double.parseDouble(part.substring(0, part.length() - 1)) * Math.pow(1000, scale);
                        if (scale >= 0 && ((totalParams < 0 && label < Math.abs(totalParams) / 8)
                                || (totalParams > 0 && Math.abs(label - totalParams) > 7 * totalParams / 8))) {
                            t.add("finetune");
                            part = part.substring(0, part.length() - 1) + Character.toLowerCase(part.charAt(part.length() - 1));
                        }
                    } catch (NumberFormatException ignored) {
                        // used as it is
                    }
                }
                if (t.isEmpty()) t.add("size_label");
                parts.set(i, part);
            } else if (i > 0 && FINETUNE.matcher(part).matches()) {
                t.add(totalParams < 0 && part.equalsIgnoreCase("lora") ? "type" : "finetune");
            }
        }
        boolean numericSize = false;
        for (int i = 0; i < parts.size(); i++) {
            if (types.get(i).contains("size_label") && parts.get(i).chars().anyMatch(Character::isDigit)) numericSize = true;
        }
        if (numericSize) {
            for (int i = 0; i < parts.size(); i++) {
                if (types.get(i).contains("size_label") && parts.get(i).chars().allMatch(Character::isLetter)) {
                    types.get(i).remove("size_label");
                }
            }
        }
        boolean atStart = true;
        for (int i = 0; i < parts.size(); i++) {
            Set<String> t = types.get(i);
            String part = parts.get(i);
            if (atStart && ((t.isEmpty() && Character.isLetter(part.charAt(0))) || t.contains("version"))) {
                t.add("basename");
            } else {
                atStart = false;
                if (t.isEmpty()) t.add("finetune");
            }
        }
        for (int i = parts.size() - 1; i >= 0; i--) {
            Set<String> t = types.get(i);
            if (t.contains("basename") && t.size() > 1) t.remove("basename");
            else break;
        }
        String basename = join(parts, types, "basename", null);
        String size = joinDistinct(parts, types);
        String finetune = join(parts, types, "finetune", null);
        String version = join(parts, types, "version", "basename");
        if (size == null && finetune == null && version == null) basename = null;
        return new ModelName(full, org, basename, finetune, version, size);
    }

    private static String join(List<String> parts, List<Set<String>> types, String want, String exclude) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            if (types.get(i).contains(want) && (exclude == null || !types.get(i).contains(exclude))) out.add(parts.get(i));
        }
        return out.isEmpty() ? null : String.join("-", out);
    }

    private static String joinDistinct(List<String> parts, List<Set<String>> types) {
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < parts.size(); i++) if (types.get(i).contains("size_label")) out.add(parts.get(i));
        return out.isEmpty() ? null : String.join("-", out);
    }

    /** gguf-py's id_to_title: words title-cased unless acronyms or version numbers. */
    static String idToTitle(String s) {
        List<String> out = new ArrayList<>();
        for (String w : s.strip().replace('-', ' ').split("\\s+")) {
            if (w.isEmpty()) continue;
            boolean lower = w.chars().anyMatch(Character::isLetter) && w.equals(w.toLowerCase(Locale.ROOT));
            out.add(lower && !VERSION_WORD.matcher(w).matches() ? title(w) : w);
        }
        return String.join(" ", out);
    }

    /** Python's str.title(): upper-case the first letter after every non-letter. */
    private static String title(String w) {
        StringBuilder b = new StringBuilder();
        boolean prevLetter = false;
        for (char c : w.toCharArray()) {
            b.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevLetter = Character.isLetter(c);
        }
        return b.toString();
    }

    /** gguf-py's model_weight_count_rounded_notation with 2 significant digits: 4.0B, 596M, 10M. */
    public static String sizeLabel(long params) {
        double scaled;
        String suffix;
        if (params > 1e12) {
            scaled = params * 1e-12;
            suffix = "T";
        } else if (params > 1e9) {
            scaled = params * 1e-9;
            suffix = "B";
        } else if (params > 1e6) {
            scaled = params * 1e-6;
            suffix = "M";
        } else {
            scaled = params * 1e-3;
            suffix = "K";
        }
        String rounded = String.valueOf(Math.round(scaled));
        String stripped = rounded.replaceFirst("^0+", "");
        int fix = Math.max(2 - stripped.length(), 0);
        return String.format(Locale.ROOT, "%." + fix + "f", scaled) + suffix;
    }

    /** The default file name: {@code <Basename|Name>-<size>-<finetune>-<version>-<TYPE>.gguf}. */
    public String fileName(String outputType) {
        String base = basename != null ? basename : name != null ? name : "ggml-model";
        StringBuilder b = new StringBuilder(base.strip().replace(' ', '-').replace('/', '-'));
        if (sizeLabel != null) b.append('-').append(sizeLabel);
        if (finetune != null) b.append('-').append(finetune.strip().replace(' ', '-'));
        if (version != null) b.append('-').append(version.strip().replace(' ', '-'));
        if (outputType != null) b.append('-').append(outputType.toUpperCase(Locale.ROOT));
        return b.append(".gguf").toString();
    }
}
