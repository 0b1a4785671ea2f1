package dev.llamagic.engine.serve;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.util.Similar;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one llama-server binary accepts, read off its {@code --help} (probed once per build and cached under
 * {@code <LLAMAGIC_HOME>/cache/llama-server/} keyed by the binary's path, size and mtime), and the fitting of
 * llamagic's settings to it: flash attention gets the value syntax the binary wants, options it does not know
 * are left out with a note (llamagic's own) or refused before launch (the user's raw flags).
 */
public final class ServerFlags {

    /** One option as the help lists it: every spelling ({@code -fa}, {@code --flash-attn}) and its value hint. */
    public record Option(List<String> names, String hint, String help) {
        /** Whether the option takes a value ({@code N}, {@code [on|off|auto]}, {@code FNAME}...). */
        public boolean takesValue() {
            return hint != null && !hint.isEmpty();
        }

        /** The allowed words when the hint is a list like {@code [on|off|auto]} or {@code none|layer|row}, else empty. */
        public List<String> choices() {
            if (hint == null) return List.of();
            String h = hint.trim();
            if (h.startsWith("{") && h.endsWith("}") || h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
            if (!h.contains("|") && !(hint.strip().startsWith("{") && h.contains(","))) return List.of();
            List<String> out = new ArrayList<>();
            for (String w : h.split("[|,]")) {
                if (!w.matches("[a-z][a-z0-9_-]*")) return List.of();
                out.add(w);
            }
            return out;
        }
    }

    private static final Pattern ARG_END = Pattern.compile("(?<![, ]) {2,}");
    private final Map<String, Option> byName;
    private final List<String> devices;

    private ServerFlags(Map<String, Option> byName, List<String> devices) {
        this.byName = byName;
        this.devices = devices;
    }

    /** Parses the text of {@code llama-server --help} (and optionally of {@code --list-devices}). */
    public static ServerFlags parse(String help, String listDevices) {
        Map<String, Option> byName = new LinkedHashMap<>();
        String[] lines = help.split("\\R");
        for (int li = 0; li < lines.length; li++) {
            String line = lines[li];
            if (!line.startsWith("-") || line.startsWith("---")) continue;
            Matcher m = ARG_END.matcher(line);
            boolean found = m.find();
            String args = found ? line.substring(0, m.start()) : line.strip();
            StringBuilder text = new StringBuilder(found ? line.substring(m.end()).strip() : "");
            for (int k = li + 1; k < lines.length && lines[k].startsWith("    ") && !lines[k].isBlank(); k++) {
                text.append(text.length() > 0 ? " " : "").append(lines[k].strip());
            }
            List<String> names = new ArrayList<>();
            String hint = "";
            String[] pieces = args.split(",");
            for (int i = 0; i < pieces.length; i++) {
                String p = pieces[i].strip();
                if (p.isEmpty()) continue;
                if (!p.startsWith("-")) {
                    // a comma inside a value hint (KEY=TYPE:VALUE,...)
                    hint = hint + "," + String.join(",", Arrays.asList(pieces).subList(i, pieces.length));
                    break;
                }
                int sp = p.indexOf(' ');
                if (sp < 0) {
                    names.add(p);
                } else {
                    names.add(p.substring(0, sp));
                    hint = p.substring(sp + 1).strip();
                    if (i + 1 < pieces.length) hint = hint + "," + String.join(",", Arrays.asList(pieces).subList(i + 1, pieces.length));
                    break;
                }
            }
            if (names.isEmpty()) continue;
            Option o = new Option(List.copyOf(names), hint.strip(), text.toString());
            for (String n : names) byName.putIfAbsent(n, o);
        }
        if (byName.isEmpty()) throw new IllegalArgumentException("no options found in the help text");
        return new ServerFlags(byName, devices(listDevices));
    }

    static List<String> devices(String listDevices) {
        if (listDevices == null) return List.of();
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : listDevices.split("\\R")) {
            if (line.startsWith("Available devices")) {
                in = true;
                continue;
            }
            String t = line.strip();
            if (in && !t.isEmpty() && t.matches("[A-Za-z][A-Za-z0-9_]*\\d+: .*")) out.add(t);
        }
        return List.copyOf(out);
    }

    /**
     * The flags of {@code binary}, from the cache when this very binary (path, size, mtime) was probed before,
     * else by running {@code --help} and {@code --list-devices} once.
     */
    public static ServerFlags probe(Context ctx, Path binary) {
        Path dir = ctx.home().resolve("cache").resolve("llama-server");
        String key;
        try {
            key = sha(binary.toAbsolutePath().normalize() + "|" + Files.size(binary) + "|" + Files.getLastModifiedTime(binary).toMillis());
        } catch (IOException e) {
            throw new UserError("cannot read " + binary + ": " + e.getMessage());
        }
        Path help = dir.resolve(key + ".help.txt");
        Path devs = dir.resolve(key + ".devices.txt");
        try {
            if (Files.isRegularFile(help) && Files.isRegularFile(devs)) {
                return parse(Files.readString(help), Files.readString(devs));
            }
        } catch (IOException | IllegalArgumentException e) {
            // a damaged cache entry: probe again
        }
        ChildProcess.Result h;
        ChildProcess.Result d;
        try {
            h = ChildProcess.run(List.of(binary.toString(), "--help"), null, Duration.ofSeconds(60));
            d = ChildProcess.run(List.of(binary.toString(), "--list-devices"), null, Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new UserError("cannot run " + binary + " --help: " + e.getMessage());
        }
        ServerFlags flags;
        try {
            flags = parse(h.output(), d.output());
        } catch (IllegalArgumentException e) {
            List<String> lines = h.output().lines().toList();
            throw new UserError(binary + " --help printed no options (exit " + h.exit() + "): "
                    + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())));
        }
        try {
            Files.createDirectories(dir);
            write(help, h.output());
            write(devs, d.output());
        } catch (IOException e) {
            // the cache is an optimisation only
        }
        return flags;
    }

    private static void write(Path file, String text) throws IOException {
        dev.llamagic.util.AtomicFiles.write(file, text);
    }

    /** The first 12 bytes of the SHA-256, as 24 hex digits. */
    private static String sha(String s) {
        return dev.llamagic.util.Hashes.sha256Hex(s).substring(0, 24);
    }

    public boolean knows(String flag) {
        return byName.containsKey(flag);
    }

    public Optional<Option> option(String flag) {
        return Optional.ofNullable(byName.get(flag));
    }

    /** Every spelling the binary accepts. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** Devices {@code --list-devices} named ({@code CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)}); empty on a CPU build. */
    public List<String> devices() {
        return devices;
    }

    /** Whether the build offloads to a GPU (it listed a device). */
    public boolean gpu() {
        return !devices.isEmpty();
    }

    /** Free memory over the listed devices, in bytes (0 when unknown). */
    public long deviceFreeBytes() {
        long sum = 0;
        Pattern free = Pattern.compile("(\\d+) MiB free");
        for (String d : devices) {
            Matcher m = free.matcher(d);
            if (m.find()) sum += Long.parseLong(m.group(1)) << 20;
        }
        return sum;
    }

    /** The first of {@code spellings} the binary knows, if any. */
    Optional<String> first(String... spellings) {
        for (String s : spellings) if (knows(s)) return Optional.of(s);
        return Optional.empty();
    }

    /** The command-line arguments (after the binary) for {@code spec}, fitted to this binary; {@code notes} gets what was changed. */
    public List<String> argv(ServerSpec spec, List<String> notes) {
        List<List<String>> a = new ArrayList<>();
        if (spec.router()) a.add(Router.modelsFlag(this, spec));
        else a.add(List.of(need("-m", "--model"), spec.modelPath().toString()));
        if (spec.alias() != null && !spec.router()) add(a, notes, spec.alias(), "alias", "-a", "--alias");
        add(a, notes, spec.host(), "host", "--host");
        add(a, notes, String.valueOf(spec.port()), "port", "--port");
        if (spec.ctx() != null) add(a, notes, String.valueOf(spec.ctx()), "context size", "-c", "--ctx-size");
        if (spec.ngl() != null) {
            if (!gpu()) {
                notes.add("-ngl " + spec.ngl() + " left out: this llama.cpp build has no GPU backend (CPU only)");
            } else {
                String v = spec.ngl();
                Option o = option("-ngl").or(() -> option("--n-gpu-layers")).orElse(null);
                if (o != null && "all".equals(v) && !o.hint().contains("all") && !helpMentions(o, "'all'")) {
                    v = "99";
                    notes.add("this build's -ngl takes no 'all': using -ngl 99");
                }
                add(a, notes, v, "GPU layers", "-ngl", "--gpu-layers", "--n-gpu-layers");
            }
        }
        if (spec.flashAttention() != null) flashAttention(a, notes, spec.flashAttention());
        if (spec.splitMode() != null) add(a, notes, spec.splitMode(), "split mode", "-sm", "--split-mode");
        if (spec.parallel() != null) add(a, notes, String.valueOf(spec.parallel()), "parallel slots", "-np", "--parallel");
        GpuFit.argv(this, spec, a, notes);
        if (spec.temperature() != null) add(a, notes, num(spec.temperature()), "temperature", "--temp");
        if (spec.topK() != null) add(a, notes, String.valueOf(spec.topK()), "top-k", "--top-k");
        if (spec.topP() != null) add(a, notes, num(spec.topP()), "top-p", "--top-p");
        if (spec.minP() != null) add(a, notes, num(spec.minP()), "min-p", "--min-p");
        if (spec.reasoningFormat() != null) add(a, notes, spec.reasoningFormat(), "reasoning format", "--reasoning-format");
        if (spec.apiKey() != null && !apiKeyByEnv()) add(a, notes, spec.apiKey(), "API key", "--api-key");
        if (spec.ttl() != null) {
            if (!knows("--sleep-idle-seconds")) {
                throw new ServeError(ServeError.Kind.OTHER, null, "this llama-server cannot unload an idle model (it has no --sleep-idle-seconds): rebuild llama.cpp from a newer source");
            }
            a.add(List.of("--sleep-idle-seconds", String.valueOf(spec.ttl())));
        }
        // /slots lets %serve and %chat see whether a slot is still generating
        first("--slots").ifPresent(f -> a.add(List.of(f)));
        first("--metrics").ifPresent(f -> a.add(List.of(f)));

        List<String> raw = fitRaw(spec.extraFlags(), notes);
        // a raw flag replaces llamagic's setting of the same option (the user's word wins)
        java.util.Set<Option> rawOptions = new java.util.HashSet<>();
        for (String t : raw) {
            if (!isFlag(t)) continue;
            Option o = byName.get(t.contains("=") && t.startsWith("--") ? t.substring(0, t.indexOf('=')) : t);
            if (o == null) continue;
            for (String managed : List.of("-m", "--host", "--port", "--api-key", "--models-dir", "--models-preset")) {
                if (o.names().contains(managed)) {
                    throw new ServeError(ServeError.Kind.RESERVED_FLAG, managed, managed + " is set by llamagic itself, not by a raw flag");
                }
            }
            rawOptions.add(o);
        }
        List<String> out = new ArrayList<>();
        for (List<String> item : a) {
            Option o = byName.get(item.get(0));
            if (o != null && rawOptions.contains(o)) continue;
            out.addAll(item);
        }
        out.addAll(raw);
        return out;
    }

    /** Whether the binary reads the API key from {@code LLAMA_API_KEY} (then it stays off the command line and out of ps). */
    public boolean apiKeyByEnv() {
        return option("--api-key").map(o -> helpMentions(o, "LLAMA_API_KEY")).orElse(false);
    }

    /** Environment variables the server needs for {@code spec} (the API key, where the binary reads it so). */
    public Map<String, String> env(ServerSpec spec) {
        Map<String, String> env = new LinkedHashMap<>();
        if (spec.apiKey() != null && apiKeyByEnv()) env.put("LLAMA_API_KEY", spec.apiKey());
        if (spec.gpus() != null) env.put("CUDA_VISIBLE_DEVICES", GpuFit.gpusText(spec.gpus()));
        return Map.copyOf(env);
    }

    private static boolean helpMentions(Option o, String word) {
        return o.help() != null && o.help().contains(word);
    }

    private String need(String... spellings) {
        return first(spellings).orElseThrow(() -> new UserError(
                "this llama-server does not accept " + spellings[0] + ": is it really llama.cpp's llama-server?"));
    }

    void add(List<List<String>> a, List<String> notes, String value, String what, String... spellings) {
        Optional<String> f = first(spellings);
        if (f.isEmpty()) {
            notes.add(what + " (" + spellings[0] + " " + value + ") left out: this llama-server does not know " + spellings[0]);
            return;
        }
        Option o = byName.get(f.get());
        List<String> choices = o.choices();
        if (!choices.isEmpty() && !choices.contains(value)) {
            throw new UserError(what + " '" + value + "' is not accepted by this llama-server (" + f.get() + " takes " + String.join("|", choices) + ")");
        }
        a.add(List.of(f.get(), value));
    }

    private void flashAttention(List<List<String>> a, List<String> notes, String wanted) {
        Optional<String> f = first("-fa", "--flash-attn");
        if (f.isEmpty()) {
            notes.add("flash attention left out: this llama-server has no -fa");
            return;
        }
        Option o = byName.get(f.get());
        if (o.takesValue()) {
            a.add(List.of(f.get(), wanted));
        } else if ("on".equals(wanted)) {
            a.add(List.of(f.get()));
        } else if ("off".equals(wanted)) {
            notes.add("flash attention is off by default in this build: -fa left out");
        }
    }

    /**
     * The user's raw flags (after {@code --}) checked against the binary: an unknown flag is refused in one line,
     * a bare {@code -fa} / {@code --flash-attn} (the tutorial's spelling) gets the {@code on} a newer binary needs.
     */
    public List<String> fitRaw(List<String> raw, List<String> notes) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String t = raw.get(i);
            if (!isFlag(t)) {
                out.add(t);
                continue;
            }
            String name = t;
            String inlineValue = null;
            int eq = t.indexOf('=');
            if (t.startsWith("--") && eq > 0) {
                name = t.substring(0, eq);
                inlineValue = t.substring(eq + 1);
            }
            Option o = byName.get(name);
            if (o == null) {
                throw new ServeError(ServeError.Kind.UNKNOWN_FLAG, name, "llama-server does not know the flag " + name + suggestion(name));
            }
            out.add(t);
            if (inlineValue != null || !o.takesValue()) continue;
            boolean valueFollows = i + 1 < raw.size() && !isFlag(raw.get(i + 1));
            List<String> choices = o.choices();
            if (valueFollows) {
                String v = raw.get(i + 1);
                if (!choices.isEmpty() && !choices.contains(v) && o.hint().startsWith("[")) {
                    // an optional value, and what follows is not one: the bare flag (e.g. the tutorial's -fa)
                    if (o.names().contains("--flash-attn")) {
                        out.add("on");
                        notes.add("bare " + t + " means '" + t + " on' for this llama-server (it wants on|off|auto)");
                    }
                    continue;
                }
                out.add(v);
                i++;
            } else if (o.names().contains("--flash-attn")) {
                out.add("on");
                notes.add("bare " + t + " means '" + t + " on' for this llama-server (it wants on|off|auto)");
            } else {
                throw new UserError("llama-server's " + t + " needs a value (" + o.hint() + ")");
            }
        }
        return out;
    }

    /** A flag, not a value: starts with '-' and is not a number like {@code -1}. */
    public static boolean isFlag(String t) {
        return t.length() > 1 && t.charAt(0) == '-' && !t.matches("-[0-9.]+(e-?[0-9]+)?");
    }

    private String suggestion(String name) {
        String bare = name.replaceFirst("^-+", "").toLowerCase(Locale.ROOT);
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String n : byName.keySet()) {
            int d = Similar.editDistance(bare, n.replaceFirst("^-+", "").toLowerCase(Locale.ROOT));
            if (d < bestD) {
                bestD = d;
                best = n;
            }
        }
        return best != null && bestD <= Math.max(2, bare.length() * 2 / 5) ? " (did you mean " + best + "?)" : "";
    }

    private static String num(double d) {
        String s = String.format(Locale.ROOT, "%.4f", d);
        s = s.replaceFirst("0+$", "");
        return s.endsWith(".") ? s + "0" : s;
    }

    @Override
    public String toString() {
        return "ServerFlags" + Collections.unmodifiableSet(byName.keySet());
    }
}
