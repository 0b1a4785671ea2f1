package dev.llamagic.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images for vision models: the type by magic bytes, one-line refusals, and the OpenAI content parts sent. */
class ChatImageTest {
    static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13};

    @TempDir
    Path tmp;

    @Test
    void typesAreKnownByTheirFirstBytes() {
        assertEquals("image/png", ChatImage.sniff(PNG));
        assertEquals("image/jpeg", ChatImage.sniff(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0}));
        assertEquals("image/gif", ChatImage.sniff("GIF89a....".getBytes()));
        assertEquals("image/webp", ChatImage.sniff("RIFF\0\0\0\0WEBPVP8 ".getBytes()));
        assertNull(ChatImage.sniff("RIFF\0\0\0\0WAVEfmt ".getBytes()), "a WAV file is RIFF too");
        assertNull(ChatImage.sniff("hello".getBytes()));
        assertNull(ChatImage.sniff(new byte[0]));
    }

    @Test
    void badFilesAreOneLine() throws Exception {
        Path missing = tmp.resolve("none.png");
        assertEquals("no such image: " + missing, assertThrows(UserError.class, () -> ChatImage.of(missing.toString())).getMessage());
        Path text = Files.writeString(tmp.resolve("a.png"), "not a picture");
        assertEquals(text + " is not an image (PNG, JPEG, WebP or GIF)",
                assertThrows(UserError.class, () -> ChatImage.of(text.toString())).getMessage());
        Path empty = Files.write(tmp.resolve("empty.jpg"), new byte[0]);
        assertEquals(empty + " is not an image (PNG, JPEG, WebP or GIF; it is empty)",
                assertThrows(UserError.class, () -> ChatImage.of(empty.toString())).getMessage());
        assertEquals(tmp + " is not a file", assertThrows(UserError.class, () -> ChatImage.of(tmp.toString())).getMessage());
    }

    @Test
    void aFileGoesAsABase64DataUrlBeforeTheTextOfTheLastUserMessage() throws Exception {
        Path png = Files.write(tmp.resolve("cat.png"), PNG);
        ChatImage img = ChatImage.of(png.toString());
        assertEquals("cat.png", img.label());
        assertEquals("PNG", img.kind());
        String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(PNG);
        assertEquals(url, img.dataUrl());
        assertEquals("image/png", ChatImage.of(url).mime(), "a data URL is taken as it is");

        ChatRequest r = ChatRequest.to("http://127.0.0.1:1").message(Message.system("Be brief.")).user("first")
                .message(Message.assistant("ok")).user("What is this?").image(png.toString()).build();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> msgs = (List<Map<String, Object>>) r.body(null).get("messages");
        assertEquals("first", msgs.get(1).get("content"), "earlier messages stay text");
        assertEquals(List.of(Map.of("type", "image_url", "image_url", Map.of("url", url)),
                Map.of("type", "text", "text", "What is this?")), msgs.get(3).get("content"));
        assertTrue(ChatRequest.to("http://x").user("hi").build().body(null).toString().contains("content=hi"));
    }

    @Test
    void serverErrorsThatMeanNoProjectorAreRecognized() {
        assertTrue(ChatClient.noImageSupport("http://127.0.0.1:8080/v1 answered 500: image input is not supported - hint: "
                + "if this is unexpected, you may need to provide the mmproj"));
        assertEquals(false, ChatClient.noImageSupport("answered 500: out of memory"));
    }
}
