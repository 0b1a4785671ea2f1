package dev.llamagic.engine.gguf;

import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of a SentencePiece {@code tokenizer.model} (a protobuf {@code ModelProto}), read without the
 * sentencepiece library: field 1 is the repeated {@code SentencePiece} message (piece = 1, score = 2, type = 3);
 * every other field (trainer and normalizer specs) is skipped.
 */
public record SentencePieceModel(List<Piece> pieces) {

    /** sentencepiece's piece types (ModelProto.SentencePiece.Type); NORMAL when the field is absent. */
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    public record Piece(String text, float score, int type) {}

    public static SentencePieceModel read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return parse(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
        } catch (RuntimeException e) {
            throw new UserError(file.getFileName() + " in " + file.getParent()
                    + " is not a SentencePiece model (" + e.getMessage() + ")");
        }
    }

    static SentencePieceModel parse(ByteBuffer b) {
        List<Piece> pieces = new ArrayList<>();
        while (b.hasRemaining()) {
            long key = varint(b);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                int len = (int) varint(b);
                ByteBuffer m = b.slice(b.position(), len).order(ByteOrder.LITTLE_ENDIAN);
                b.position(b.position() + len);
                pieces.add(piece(m));
            } else {
                skip(b, wire);
            }
        }
        if (pieces.isEmpty()) throw new IllegalArgumentException("no pieces");
        return new SentencePieceModel(List.copyOf(pieces));
    }

    private static Piece piece(ByteBuffer m) {
        String text = null;
        float score = 0;
        int type = NORMAL;
        while (m.hasRemaining()) {
            long key = varint(m);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                byte[] s = new byte[(int) varint(m)];
                m.get(s);
                text = new String(s, StandardCharsets.UTF_8);
            } else if (field == 2 && wire == 5) {
                score = m.getFloat();
            } else if (field == 3 && wire == 0) {
                type = (int) varint(m);
            } else {
                skip(m, wire);
            }
        }
        if (text == null) throw new IllegalArgumentException("a piece without text");
        return new Piece(text, score, type);
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = b.get();
            v |= (long) (x & 0x7F) << shift;
            if (x >= 0) return v;
        }
        throw new IllegalArgumentException("a malformed varint");
    }

    private static void skip(ByteBuffer b, int wire) {
        switch (wire) {
            case 0 -> varint(b);
            case 1 -> b.position(b.position() + 8);
            case 2 -> {
                long len = varint(b);
                if (len < 0 || len > b.remaining()) throw new IllegalArgumentException("a field longer than the file");
                b.position(b.position() + (int) len);
            }
            case 5 -> b.position(b.position() + 4);
            default -> throw new IllegalArgumentException("wire type " + wire);
        }
    }
}
