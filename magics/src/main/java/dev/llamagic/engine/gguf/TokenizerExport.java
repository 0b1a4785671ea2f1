package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer keys llama.cpp's converter writes for a GPT-2-style BPE tokenizer (Qwen, Llama 3), read from
 * {@code tokenizer.json}, {@code tokenizer_config.json} and {@code config.json}: tokens (padded to the
 * config's vocab_size with {@code [PADn]}), token types (normal / control / user-defined / unused as
 * convert_hf_to_gguf.py assigns them), merges, the pre-tokenizer id, special token ids, add_*_token flags and
 * the chat template.
 *
 * <p>llama.cpp decides the pre-tokenizer id by hashing how the Hugging Face tokenizer splits a check string;
 * without Python we decide it from the pre-tokenizer regex in tokenizer.json, which is what that hash
 * fingerprints: Qwen2/2.5/3's regex → {@code qwen2}, Llama 3's → {@code llama-bpe}. Any other regex fails
 * in one line (use {@code --engine python}).
 */
public final class TokenizerExport {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Pre-tokenizer regexes llama.cpp knows, with the id it gives them. */
    static final Map<String, String> PRE_BY_REGEX = Map.of(QWEN2_REGEX, "qwen2", LLAMA3_REGEX, "llama-bpe");

    private static final String[] SPECIAL_TYPES = {"bos", "eos", "unk", "sep", "pad", "cls", "mask"};
    private static final Map<String, String> ID_KEYS = Map.of("bos", "tokenizer.ggml.bos_token_id",
            "eos", "tokenizer.ggml.eos_token_id", "unk", "tokenizer.ggml.unknown_token_id",
            "sep", "tokenizer.ggml.seperator_token_id", "pad", "tokenizer.ggml.padding_token_id",
            "cls", "tokenizer.ggml.cls_token_id", "mask", "tokenizer.ggml.mask_token_id");
    private static final Map<String, String> ADD_KEYS = Map.of("bos", "tokenizer.ggml.add_bos_token",
            "eos", "tokenizer.ggml.add_eos_token", "sep", "tokenizer.ggml.add_sep_token");

    private TokenizerExport() {}

    static JsonNode readJson(Path f) throws IOException {
        try {
            return JSON.readTree(f.toFile());
        } catch (JsonProcessingException e) {
            throw new UserError(f.getFileName() + " in " + f.getParent() + " is not valid JSON ("
                    + Safetensors.firstLine(e.getOriginalMessage()) + ")");
        }
    }

    /** Adds the tokenizer keys to {@code kv}, in the order llama.cpp writes them. */
    public static void export(Path dir, JsonNode config, Map<String, GgufValue> kv) throws IOException {
        Path tokFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokFile)) {
            throw new ConvertError(ConvertError.Reason.NO_TOKENIZER, dir + " has no tokenizer.json (llamagic converts"
                    + " Hugging Face fast BPE tokenizers, and Llama's tokenizer.model{advice})");
        }
        JsonNode tok = readJson(tokFile);
        Path cfgFile = dir.resolve("tokenizer_config.json");
        JsonNode tcfg = Files.isRegularFile(cfgFile) ? readJson(cfgFile) : null;
        JsonNode model = tok.path("model");
        if (!"BPE".equals(model.path("type").asText("BPE")) || !model.path("vocab").isObject()) {
            throw new ConvertError(ConvertError.Reason.NOT_BPE, "tokenizer.json in " + dir + " is not a BPE tokenizer (model.type "
                    + model.path("type").asText("?") + "){advice}");
        }
        String pre = preTokenizer(tok);

        // vocabulary: the model's vocab plus the added tokens, by id
        Map<Integer, String> byId = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.get("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            byId.put(e.getValue().asInt(), e.getKey());
        }
        Map<Integer, JsonNode> added = new LinkedHashMap<>();
        for (JsonNode a : tok.path("added_tokens")) {
            added.put(a.path("id").asInt(), a);
            byId.put(a.path("id").asInt(), a.path("content").asText());
        }
        int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        int vocabSize = config.has("vocab_size") ? config.get("vocab_size").asInt() : byId.size();
        if (maxId >= vocabSize) {
            throw new UserError("tokenizer.json has token id " + maxId + " but config.json says vocab_size " + vocabSize);
        }
        List<String> tokens = new ArrayList<>(vocabSize);
        List<Long> types = new ArrayList<>(vocabSize);
        for (int i = 0; i < vocabSize; i++) {
            String t = byId.get(i);
            if (t == null) {
                tokens.add("[PAD" + i + "]");
                types.add((long) UNUSED);
            } else if (added.containsKey(i)) {
                long type = addedType(added.get(i), t);
                types.add(type);
                tokens.add(addedText(type, t));
            } else {
                tokens.add(t);
                types.add((long) NORMAL);
            }
        }

        List<String> merges = new ArrayList<>();
        JsonNode m = model.path("merges");
        for (JsonNode e : m) {
            if (e.isTextual()) {
                merges.add(e.asText());
            } else if (e.isArray() && e.size() == 2) {
                merges.add(encodeSpaces(e.get(0).asText()) + " " + encodeSpaces(e.get(1).asText()));
            } else {
                throw new UserError("tokenizer.json in " + dir + " has merges in an unknown format");
            }
        }

        kv.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        kv.put("tokenizer.ggml.pre", GgufValue.string(pre));
        kv.put("tokenizer.ggml.tokens", GgufValue.array(GgufValue.Type.STRING, tokens));
        kv.put("tokenizer.ggml.token_type", GgufValue.array(GgufValue.Type.INT32, types));
        if (!merges.isEmpty()) kv.put("tokenizer.ggml.merges", GgufValue.array(GgufValue.Type.STRING, merges));
        special(dir, tok, tcfg, config, kv);
    }

    /**
     * The keys llama.cpp's converter writes for a SentencePiece {@code tokenizer.model} (Llama 2 and its kind):
     * model {@code llama}, pre-tokenizer {@code default}, every piece with its score and type (sentencepiece's
     * user-defined pieces count as normal, as the converter's checks leave them), {@code added_tokens.json} and
     * tokenizer_config.json's {@code added_tokens_decoder} over them, [PADn] up to the config's vocab_size.
     */
    public static void exportSentencePiece(Path dir, JsonNode config, Map<String, GgufValue> kv) throws IOException {
        SentencePieceModel sp = SentencePieceModel.read(dir.resolve("tokenizer.model"));
        Path cfgFile = dir.resolve("tokenizer_config.json");
        JsonNode tcfg = Files.isRegularFile(cfgFile) ? readJson(cfgFile) : null;
        Path tokFile = dir.resolve("tokenizer.json");
        JsonNode tok = Files.isRegularFile(tokFile) ? readJson(tokFile) : null;
        int vocabSize = config.has("vocab_size") && !config.get("vocab_size").isNull()
                ? config.get("vocab_size").asInt() : sp.pieces().size();
        List<String> tokens = new ArrayList<>(vocabSize);
        List<Float> scores = new ArrayList<>(vocabSize);
        List<Long> types = new ArrayList<>(vocabSize);
        for (int i = 0; i < vocabSize; i++) {
            if (i < sp.pieces().size()) {
                SentencePieceModel.Piece p = sp.pieces().get(i);
                tokens.add(p.text());
                scores.add(p.score());
                types.add((long) switch (p.type()) {
                    case SentencePieceModel.UNKNOWN -> UNKNOWN;
                    case SentencePieceModel.CONTROL -> CONTROL;
                    case SentencePieceModel.UNUSED -> UNUSED;
                    case SentencePieceModel.BYTE -> BYTE;
                    default -> NORMAL;
                });
            } else {
                tokens.add("[PAD" + i + "]");
                scores.add(-10000f);
                types.add((long) UNUSED);
            }
        }
        Path addedFile = dir.resolve("added_tokens.json");
        if (Files.isRegularFile(addedFile)) {
            for (Iterator<Map.Entry<String, JsonNode>> it = readJson(addedFile).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id = e.getValue().asInt();
                if (id < 0 || id >= vocabSize) continue;
                tokens.set(id, e.getKey());
                scores.set(id, -1000f);
                types.set(id, (long) USER_DEFINED);
            }
        }
        if (tcfg != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = tcfg.path("added_tokens_decoder").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException nfe) {
                    continue;
                }
                if (id < 0 || id >= vocabSize) continue;
                String t = e.getValue().path("content").asText();
                long type = addedType(e.getValue(), t);
                types.set(id, type);
                scores.set(id, -1000f);
                tokens.set(id, addedText(type, t));
            }
        }
        kv.put("tokenizer.ggml.model", GgufValue.string("llama"));
        kv.put("tokenizer.ggml.pre", GgufValue.string("default"));
        kv.put("tokenizer.ggml.tokens", GgufValue.array(GgufValue.Type.STRING, tokens));
        kv.put("tokenizer.ggml.scores", GgufValue.array(GgufValue.Type.FLOAT32, scores));
        kv.put("tokenizer.ggml.token_type", GgufValue.array(GgufValue.Type.INT32, types));
        special(dir, tok, tcfg, config, kv);
    }

    /**
     * Special token ids, add_*_token flags, the chat template and normalizer flags, as gguf-py's SpecialVocab finds
     * them (without merges): tokenizer.json's post-processor and added tokens with tokenizer_config.json first,
     * then config.json's *_token_id. {@code tok} and {@code tcfg} may be null (no such file).
     */
    private static void special(Path dir, JsonNode tok, JsonNode tcfg, JsonNode config, Map<String, GgufValue> kv)
            throws IOException {
        Map<String, Long> ids = new LinkedHashMap<>();
        Map<String, Boolean> addFlags = new LinkedHashMap<>();
        JsonNode post = tok == null ? null : tok.path("post_processor");
        if (post != null && post.isObject()) {
            List<JsonNode> procs = new ArrayList<>();
            if (post.has("processors")) post.get("processors").forEach(procs::add);
            else procs.add(post);
            for (JsonNode p : procs) {
                if ("TemplateProcessing".equals(p.path("type").asText())) templateFlags(p, tcfg, addFlags);
            }
        }
        if (tcfg != null) {
            for (String typ : SPECIAL_TYPES) {
                JsonNode add = tcfg.get("add_" + typ + "_token");
                if (add != null && add.isBoolean()) addFlags.put(typ, add.asBoolean());
                String content = tokenString(tcfg, typ);
                if (content == null || tok == null) continue;
                for (JsonNode a : tok.path("added_tokens")) {
                    if (content.equals(a.path("content").asText(null))) {
                        ids.putIfAbsent(typ, a.path("id").asLong());
                        break;
                    }
                }
            }
        }
        for (String typ : SPECIAL_TYPES) {
            JsonNode v = config.get(typ + "_token_id");
            if ((v == null || v.isNull()) && config.has("text_config")) v = config.get("text_config").get(typ + "_token_id");
            if (v != null && v.isIntegralNumber() && v.asLong() >= 0) ids.putIfAbsent(typ, v.asLong());
        }
        for (Map.Entry<String, Long> e : ids.entrySet()) kv.put(ID_KEYS.get(e.getKey()), GgufValue.u32(e.getValue()));
        for (Map.Entry<String, Boolean> e : addFlags.entrySet()) {
            String key = ADD_KEYS.get(e.getKey());
            if (key != null) kv.put(key, GgufValue.bool(e.getValue()));
        }
        String template = chatTemplate(dir, tcfg);
        if (template != null) kv.put("tokenizer.chat_template", GgufValue.string(template));
        if (tok != null) {
            Boolean[] norm = normalizer(tok.path("normalizer"), new Boolean[2]);
            if (norm[0] != null) kv.put("tokenizer.ggml.normalizer.lowercase", GgufValue.bool(norm[0]));
            if (norm[1] != null) kv.put("tokenizer.ggml.normalizer.strip_accents", GgufValue.bool(norm[1]));
        }
    }

    /**
     * SpecialVocab's reading of a TemplateProcessing post-processor: a leading special token in {@code single} is the
     * added BOS, a trailing one the added EOS; in {@code pair}, a special token between A and B that is the sep or
     * eos token means a separator is added.
     */
    private static void templateFlags(JsonNode p, JsonNode tcfg, Map<String, Boolean> addFlags) {
        JsonNode single = p.path("single");
        String first = null;
        String last = null;
        if (single.size() > 1) {
            // without a tokenizer_config.json the template's own first and last tokens count as bos/eos
            first = single.get(0).path("SpecialToken").path("id").asText(null);
            if (first != null) addFlags.put("bos", tcfg == null || first.equals(tokenString(tcfg, "bos")));
            last = single.get(single.size() - 1).path("SpecialToken").path("id").asText(null);
            if (last != null) addFlags.put("eos", tcfg == null || last.equals(tokenString(tcfg, "eos")));
        }
        List<JsonNode> pair = new ArrayList<>();
        p.path("pair").forEach(pair::add);
        if (pair.isEmpty()) return;
        int from = first != null && first.equals(specialId(pair.get(0))) ? 1 : 0;
        int to = last != null && last.equals(specialId(pair.get(pair.size() - 1))) ? pair.size() - 1 : pair.size();
        if (from >= to) return;
        pair = pair.subList(from, to);
        String a = pair.get(0).path("Sequence").path("id").asText(null);
        String b = pair.get(pair.size() - 1).path("Sequence").path("id").asText(null);
        if (!"A".equals(a) || !"B".equals(b) || pair.size() <= 2) return;
        List<JsonNode> middle = pair.subList(1, pair.size() - 1);
        String sep = tokenString(tcfg, "sep");
        String eos = tokenString(tcfg, "eos");
        boolean addSep = false;
        String entry = specialId(middle.get(0));
        if (entry != null && (entry.equals(sep) || entry.equals(eos)) && last == null) addSep = true;
        if (middle.size() == 2) {
            entry = specialId(middle.get(1));
            if (entry != null && (entry.equals(sep) || entry.equals(eos))) addSep = true;
        }
        addFlags.put("sep", addSep);
    }

    private static String specialId(JsonNode n) {
        return n.path("SpecialToken").path("id").asText(null);
    }

    /** The pre-tokenizer id llama.cpp uses for this tokenizer.json, or a one-line error. */
    static String preTokenizer(JsonNode tok) {
        List<String> regexes = new ArrayList<>();
        collectRegexes(tok.path("pre_tokenizer"), regexes);
        for (String r : regexes) {
            String id = PRE_BY_REGEX.get(r);
            if (id != null) return id;
        }
        throw new ConvertError(ConvertError.Reason.PRE_TOKENIZER,
                "tokenizer.json's pre-tokenizer is not one llamagic knows (Qwen2/2.5/3 and Llama 3 are){advice}");
    }

    private static void collectRegexes(JsonNode n, List<String> out) {
        if (n == null || n.isMissingNode() || n.isNull()) return;
        if ("Split".equals(n.path("type").asText()) && n.path("pattern").has("Regex")) {
            out.add(n.path("pattern").get("Regex").asText());
        }
        for (JsonNode c : n.path("pretokenizers")) collectRegexes(c, out);
    }

    private static String tokenString(JsonNode tcfg, String typ) {
        if (tcfg == null) return null;
        JsonNode e = tcfg.get(typ + "_token");
        if (e == null || e.isNull()) return null;
        if (e.isTextual()) return e.asText();
        if (e.isObject() && e.path("content").isTextual()) return e.get("content").asText();
        return null;
    }

    private static String chatTemplate(Path dir, JsonNode tcfg) throws IOException {
        if (tcfg == null) return null;
        JsonNode t = tcfg.get("chat_template");
        if (t != null && t.isTextual()) return t.asText();
        if (t != null && !t.isNull()) return null; // named templates: not exported
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) return Files.readString(jinja);
        Path json = dir.resolve("chat_template.json");
        if (Files.isRegularFile(json)) {
            JsonNode c = readJson(json).get("chat_template");
            return c != null && c.isTextual() ? c.asText() : null;
        }
        return null;
    }

    private static Boolean[] normalizer(JsonNode n, Boolean[] out) {
        String type = n.path("type").asText("");
        switch (type) {
            case "Lowercase" -> out[0] = true;
            case "StripAccents" -> out[1] = true;
            case "BertNormalizer" -> {
                if (n.has("lowercase")) out[0] = n.get("lowercase").asBoolean();
                if (n.has("strip_accents") && n.get("strip_accents").isBoolean()) out[1] = n.get("strip_accents").asBoolean();
            }
            case "Sequence" -> n.path("normalizers").forEach(c -> normalizer(c, out));
            default -> { }
        }
        return out;
    }

    /** An added token's type, as convert_hf_to_gguf.py decides it: control if special or special-looking, else user-defined. */
    private static long addedType(JsonNode added, String text) {
        return added.path("special").asBoolean(false) || looksSpecial(text) ? CONTROL : USER_DEFINED;
    }

    /** A user-defined token's text with its spaces pre-normalized (U+2581 → ' '), as the converter writes it. */
    private static String addedText(long type, String text) {
        return type == USER_DEFINED ? text.replace("\u2581", " ") : text;
    }

    /** convert_hf_to_gguf.py's does_token_look_special. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /** Spaces inside a merge part are written as U+0120, as gguf-py does. */
    private static String encodeSpaces(String s) {
        return s.indexOf(' ') < 0 ? s : s.replace(' ', '\u0120');
    }
}
