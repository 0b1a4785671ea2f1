package dev.llamagic.engine.gguf;

import dev.llamagic.magic.gguf.QuantizeCommand;
import dev.llamagic.magic.gguf.ToGgufCommand;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.UserError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFormatTest {
    @TempDir
    Path dir;

    @Test
    void headerRoundTripsEveryValueTypeAndAlignsTensors() throws Exception {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", GgufValue.string("qwen3"));
        kv.put("u8", new GgufValue(GgufValue.Type.UINT8, null, 200L));
        kv.put("i8", new GgufValue(GgufValue.Type.INT8, null, -5L));
        kv.put("u16", new GgufValue(GgufValue.Type.UINT16, null, 60000L));
        kv.put("i16", new GgufValue(GgufValue.Type.INT16, null, -30000L));
        kv.put("u32", GgufValue.u32(4000000000L));
        kv.put("i32", GgufValue.i32(-7));
        kv.put("f32", GgufValue.f32(0.95));
        kv.put("bool", GgufValue.bool(true));
        kv.put("u64", GgufValue.u64(1L << 40));
        kv.put("i64", new GgufValue(GgufValue.Type.INT64, null, -(1L << 40)));
        kv.put("f64", new GgufValue(GgufValue.Type.FLOAT64, null, 1e-300));
        kv.put("strings", GgufValue.array(GgufValue.Type.STRING, List.of("a", "Ġb", "中文")));
        kv.put("ints", GgufValue.array(GgufValue.Type.INT32, List.of(1L, -2L, 3L)));
        List<GgufTensorInfo> ts = GgufWriter.layout(List.of(
                new GgufTensorInfo("a", new long[] {3}, GgmlType.F32, 0),
                new GgufTensorInfo("b", new long[] {32, 2}, GgmlType.Q8_0, 0)), 32);
        assertEquals(0, ts.get(0).offset());
        assertEquals(32, ts.get(1).offset(), "12 bytes padded to 32");
        byte[] header = GgufWriter.header(kv, ts, 32);
        assertEquals(0, header.length % 32);
        Path f = dir.resolve("x.gguf");
        byte[] data = new byte[(int) GgufWriter.dataBytes(ts, 32)];
        byte[] all = new byte[header.length + data.length];
        System.arraycopy(header, 0, all, 0, header.length);
        Files.write(f, all);
        GgufFile g = GgufReader.read(f);
        assertEquals(3, g.version());
        assertEquals(header.length, g.dataOffset());
        assertEquals(List.copyOf(kv.keySet()), List.copyOf(g.metadata().keySet()));
        assertEquals(200L, g.get("u8").value());
        assertEquals(-5L, g.get("i8").value());
        assertEquals(60000L, g.get("u16").value());
        assertEquals(-30000L, g.get("i16").value());
        assertEquals(4000000000L, g.get("u32").value());
        assertEquals(-7L, g.get("i32").value());
        assertEquals(0.95f, g.get("f32").value());
        assertEquals(true, g.get("bool").value());
        assertEquals(1L << 40, g.get("u64").value());
        assertEquals(-(1L << 40), g.get("i64").value());
        assertEquals(1e-300, g.get("f64").value());
        assertEquals(List.of("a", "Ġb", "中文"), g.get("strings").list());
        assertEquals(List.of(1L, -2L, 3L), g.get("ints").list());
        assertEquals(2, g.tensors().size());
        assertArrayEquals(new long[] {32, 2}, g.tensor("b").dims());
        assertEquals(GgmlType.Q8_0, g.tensor("b").type());
        assertEquals(68, g.tensor("b").bytes());
        assertEquals(67, g.parameterCount());
        assertTrue(g.get("strings").display(2).contains("(3 × string)"));
    }

    @Test
    void notAGgufIsOneLine() throws Exception {
        Path f = dir.resolve("n.gguf");
        Files.writeString(f, "hello world, not a gguf");
        UserError e = assertThrows(UserError.class, () -> GgufReader.read(f));
        assertTrue(e.getMessage().contains("not a GGUF file"));
        Files.write(f, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1});
        assertTrue(assertThrows(UserError.class, () -> GgufReader.read(f)).getMessage().contains("truncated"));
    }

    static void safetensors(Path f, String headerJson, int dataBytes) throws Exception {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(f, b.array());
    }

    @Test
    void safetensorsHeadersAreValidated() throws Exception {
        Path f = dir.resolve("model.safetensors");
        safetensors(f, "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[16,24]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"__metadata__\":{\"format\":\"pt\"}}", 24);
        Safetensors st = Safetensors.open(dir);
        assertEquals(List.of("a", "b"), st.tensors().stream().map(Safetensors.Tensor::name).toList(), "sorted by name");
        assertEquals(GgmlType.BF16, st.tensors().get(1).type());
        assertEquals(24, st.totalBytes());

        safetensors(f, "{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        assertTrue(assertThrows(UserError.class, () -> Safetensors.open(dir)).getMessage().contains("has dtype I64"));
        safetensors(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertTrue(assertThrows(UserError.class, () -> Safetensors.open(dir)).getMessage().contains("is truncated"));
        safetensors(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,16]}}", 16);
        assertTrue(assertThrows(UserError.class, () -> Safetensors.open(dir)).getMessage().contains("do not match its shape"));
        safetensors(f, "{\"a\":{\"dtype\":", 16);
        assertTrue(assertThrows(UserError.class, () -> Safetensors.open(dir)).getMessage().contains("not valid JSON"));
        Files.write(f, new byte[] {(byte) 0xFF, 0, 0, 0, 0, 0, 0, 0, '{'});
        assertTrue(assertThrows(UserError.class, () -> Safetensors.open(dir)).getMessage().contains("is truncated"));
        Files.write(f, new byte[] {1, 2, 3});
        assertTrue(assertThrows(UserError.class, () -> Safetensors.open(dir)).getMessage().contains("is truncated"));
        Files.delete(f);
        assertTrue(assertThrows(UserError.class, () -> Safetensors.open(dir)).getMessage().contains("has no model weights"));
    }

    @Test
    void commandHelpers() {
        assertEquals("Qwen3-4B-Q4_K_M.gguf", QuantizeCommand.outputName("Qwen3-4B-F16.gguf", "Q4_K_M"));
        assertEquals("Qwen3-4B-Q8_0.gguf", QuantizeCommand.outputName("Qwen3-4B-BF16.gguf", "Q8_0"));
        assertEquals("model-Q6_K.gguf", QuantizeCommand.outputName("model.gguf", "Q6_K"));
        assertEquals(2L << 30, ToGgufCommand.parseSize("2G"));
        assertEquals(1536L << 20, ToGgufCommand.parseSize("1.5GiB"));
        assertEquals(1000, ToGgufCommand.parseSize("1000"));
        assertThrows(NumberFormatException.class, () -> ToGgufCommand.parseSize("lots"));
        assertEquals(0, ToGgufCommand.parseSize("0"), "the --keep-free default");
        assertEquals(3L << 40, ToGgufCommand.parseSize("3T"));
        assertThrows(NumberFormatException.class, () -> ToGgufCommand.parseSize("-1G"));
    }

    @Test
    void preTokenizerFromTheRegex() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var qwen = json.readTree("{\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
                + json.writeValueAsString(TokenizerExport.QWEN2_REGEX) + "}},{\"type\":\"ByteLevel\"}]}}");
        assertEquals("qwen2", TokenizerExport.preTokenizer(qwen));
        var llama = json.readTree("{\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
                + json.writeValueAsString(TokenizerExport.LLAMA3_REGEX) + "}}]}}");
        assertEquals("llama-bpe", TokenizerExport.preTokenizer(llama));
        var other = json.readTree("{\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}");
        ConvertError e = assertThrows(ConvertError.class, () -> TokenizerExport.preTokenizer(other));
        assertEquals(ConvertError.Reason.PRE_TOKENIZER, e.reason());
        assertEquals("tokenizer.json's pre-tokenizer is not one llamagic knows (Qwen2/2.5/3 and Llama 3 are)", e.getMessage());
        assertEquals("tokenizer.json's pre-tokenizer is not one llamagic knows (Qwen2/2.5/3 and Llama 3 are); try X", e.withAdvice("; try X"));
        assertTrue(TokenizerExport.looksSpecial("<|fim_prefix|>"));
        assertTrue(!TokenizerExport.looksSpecial("<think>"));
    }
}
