package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The weights of a Hugging Face model directory in safetensors format: one {@code model.safetensors}, or shards
 * listed by {@code model.safetensors.index.json} (or found as {@code model*.safetensors}). Only headers are read
 * here; tensor data is read later by position, so nothing is loaded up front. Every header is validated and a
 * broken one fails in one line naming the file.
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    /** One tensor: its dtype ({@code F32|F16|BF16}), shape (outermost first), and where its bytes are. */
    public record Tensor(String name, String dtype, long[] shape, Path file, long offset, long length) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public GgmlType type() {
            return switch (dtype) {
                case "F32" -> GgmlType.F32;
                case "F16" -> GgmlType.F16;
                default -> GgmlType.BF16;
            };
        }

        /** Bytes per element: 4 for F32, 2 for F16 and BF16. */
        public int elementSize() {
            return type().typeSize;
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape);
        }
    }

    private final List<Tensor> tensors;

    private Safetensors(List<Tensor> tensors) {
        this.tensors = tensors;
    }

    /** Tensors in the order llama.cpp's converter visits them: shard files sorted by name, tensors by name. */
    public List<Tensor> tensors() {
        return tensors;
    }

    public long totalBytes() {
        return tensors.stream().mapToLong(Tensor::length).sum();
    }

    /** The model's safetensors files, or null when the directory has none. */
    static List<Path> findFiles(Path dir) throws IOException {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            JsonNode root;
            try {
                root = JSON.readTree(index.toFile());
            } catch (JsonProcessingException e) {
                throw new UserError(index + " is not valid JSON (" + firstLine(e.getOriginalMessage()) + ")");
            }
            JsonNode map = root == null ? null : root.path("weight_map");
            if (map == null || !map.isObject() || map.isEmpty()) throw new UserError(index + " has no weight_map");
            Set<String> names = new LinkedHashSet<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new UserError(index + " names no shard file for tensor " + shown(e.getKey())
                            + " (its weight_map entry is " + e.getValue().getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                            + ", not a file name): refusing it");
                }
                names.add(e.getValue().asText());
            }
            Path realDir = dir.toRealPath();
            // a Hugging Face cache keeps a revision's files as links from snapshots/<rev>/ into the repo's blobs/:
            // links within the repo's cache folder are the layout, not an escape
            Path inside = realDir.getParent() != null && realDir.getParent().getFileName() != null
                    && realDir.getParent().getFileName().toString().equals("snapshots") && realDir.getParent().getParent() != null
                    ? realDir.getParent().getParent() : realDir;
            List<Path> files = new ArrayList<>();
            for (String n : names.stream().sorted().toList()) {
                if (!plainFileName(n)) {
                    throw new UserError(index + " names " + shown(n) + " as a shard, which is not a plain file name"
                            + " inside the model directory: refusing it");
                }
                Path f = dir.resolve(n);
                if (!Files.isRegularFile(f)) {
                    throw new UserError(dir + " misses " + n + " (listed in model.safetensors.index.json): download it again");
                }
                if (!f.toRealPath().startsWith(inside)) {
                    throw new UserError(index + " names " + shown(n) + " as a shard, which is a link leading out of"
                            + " the model directory: refusing it");
                }
                files.add(f);
            }
            return files;
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith("model") && n.endsWith(".safetensors") && Files.isRegularFile(p);
            }).sorted().toList();
            return files.isEmpty() ? null : files;
        }
    }

    /** Reads and validates the headers of the model in {@code dir}. */
    public static Safetensors open(Path dir) throws IOException {
        List<Path> files = findFiles(dir);
        if (files == null) {
            throw new UserError(dir + " has no model weights (no model.safetensors or model-*.safetensors)");
        }
        List<Tensor> all = new ArrayList<>();
        Map<String, Path> seen = new LinkedHashMap<>();
        for (Path f : files) {
            for (Tensor t : readHeader(f)) {
                Path before = seen.put(t.name(), f);
                if (before != null) throw new UserError("tensor " + t.name() + " is in both " + before.getFileName() + " and " + f.getFileName());
                all.add(t);
            }
        }
        return new Safetensors(List.copyOf(all));
    }

    /** The tensors one safetensors file holds, sorted by name; one-line errors for anything malformed. */
    public static List<Tensor> readHeader(Path file) throws IOException {
        String fn = file.getFileName().toString();
        long size = Files.size(file);
        if (size < 8) throw new UserError(fn + " is truncated: " + size + " bytes, not even a safetensors header length");
        byte[] header;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.flip().getLong();
            if (n <= 0 || n > MAX_HEADER) {
                throw new UserError(fn + " has a corrupt safetensors header (header length " + Long.toUnsignedString(n)
                        + " is impossible): the file is damaged, download it again");
            }
            if (n > size - 8) {
                throw new UserError(fn + " is truncated: its safetensors header needs " + n + " bytes but the file has "
                        + (size - 8) + " after the length: download it again");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            header = hb.array();
        }
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw new UserError(fn + " has a corrupt safetensors header (not valid JSON: "
                    + firstLine(e.getOriginalMessage()) + "): download it again");
        }
        if (root == null || !root.isObject()) throw new UserError(fn + " has a corrupt safetensors header (not a JSON object)");
        long dataStart = 8 + header.length;
        long dataLen = size - dataStart;
        TreeMap<String, Tensor> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            JsonNode t = e.getValue();
            JsonNode offs = t.path("data_offsets");
            if (!t.path("dtype").isTextual() || !t.path("shape").isArray() || !offs.isArray() || offs.size() != 2) {
                throw new UserError(fn + " has a corrupt safetensors header (tensor " + plain(name) + " lacks dtype, shape or data_offsets)");
            }
            String dtype = t.get("dtype").asText();
            if (!dtype.equals("F32") && !dtype.equals("F16") && !dtype.equals("BF16")) {
                throw new ConvertError(ConvertError.Reason.DTYPE, "tensor " + plain(name) + " in " + fn + " has dtype " + plain(dtype)
                        + ", which llamagic does not convert (F32, F16 and BF16 only{advice})");
            }
            String what = fn + " has a corrupt safetensors header (";
            long[] shape = new long[t.get("shape").size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = t.get("shape").get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                    throw new UserError(what + "bad shape of " + shown(name) + ")");
                }
                shape[i] = d.asLong();
                try {
                    elements = Math.multiplyExact(elements, shape[i]);
                } catch (ArithmeticException overflow) {
                    throw new UserError(what + "the shape of " + shown(name) + " has more than 2^63 elements)");
                }
            }
            JsonNode b0 = offs.get(0), b1 = offs.get(1);
            if (!b0.isIntegralNumber() || !b1.isIntegralNumber() || !b0.canConvertToLong() || !b1.canConvertToLong()
                    || b0.asLong() < 0 || b1.asLong() < b0.asLong()) {
                throw new UserError(what + "data_offsets of " + shown(name) + " are not two ascending whole numbers)");
            }
            long begin = b0.asLong();
            long end = b1.asLong();
            int es = dtype.equals("F32") ? 4 : 2;
            if (elements > Long.MAX_VALUE / es || end - begin != elements * es) {
                throw new UserError(fn + " has a corrupt safetensors header (data_offsets of " + plain(name) + " do not match its shape)");
            }
            if (end > dataLen) {
                throw new UserError(fn + " is truncated: tensor " + name + " ends at byte " + (dataStart + end)
                        + " but the file has " + size + ": download it again");
            }
            out.put(name, new Tensor(name, dtype, shape, file, dataStart + begin, end - begin));
        }
        List<Tensor> byOffset = new ArrayList<>(out.values());
        byOffset.sort(java.util.Comparator.comparingLong(Tensor::offset).thenComparingLong(Tensor::length));
        for (int i = 1; i < byOffset.size(); i++) {
            Tensor prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.offset() < prev.offset() + prev.length()) {
                throw new UserError(fn + " has a corrupt safetensors header (the data of " + shown(prev.name()) + " and "
                        + shown(cur.name()) + " overlap)");
            }
        }
        return new ArrayList<>(out.values());
    }

    /** A shard name as an index may give it: one plain file name, nothing that leads elsewhere. */
    static boolean plainFileName(String n) {
        if (n.isEmpty() || n.length() > 255 || n.equals(".") || n.equals("..")) return false;
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (c == '/' || c == '\\' || c == ':' || c < 0x20 || c == 0x7f) return false;
        }
        return true;
    }

    /** A name from a file, quoted, shortened and with control characters escaped, for a one-line message. */
    static String shown(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 120; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || Character.isSurrogate(c) || c == 0x2028 || c == 0x2029 || c == 0x85) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > 120) b.append("...");
        return b.append('"').toString();
    }

    /** The name as is when it is printable on one line, else {@link #shown}. */
    static String plain(String s) {
        String q = shown(s);
        return q.length() == s.length() + 2 && q.substring(1, q.length() - 1).equals(s) ? s : q;
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) throw new IOException("unexpected end of file");
            pos += n;
        }
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
