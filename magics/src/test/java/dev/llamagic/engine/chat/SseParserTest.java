package dev.llamagic.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {

    private static List<String> events(String stream) {
        SseParser p = new SseParser();
        List<String> out = new ArrayList<>();
        for (String line : stream.split("\n", -1)) {
            String d = p.line(line);
            if (d != null) out.add(d);
        }
        String last = p.end();
        if (last != null) out.add(last);
        return out;
    }

    @Test
    void llamaServerStream() {
        String s = "data: {\"a\":1}\n\n: keep-alive\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n";
        assertEquals(List.of("{\"a\":1}", "{\"b\":2}", "[DONE]"), events(s));
    }

    @Test
    void multiLineDataAndOtherFields() {
        String s = "event: message\nid: 7\ndata: line1\ndata:line2\n\nretry: 100\n\n";
        assertEquals(List.of("line1\nline2"), events(s));
    }

    @Test
    void anUnterminatedLastEventIsKept() {
        assertEquals(List.of("{\"x\":1}"), events("data: {\"x\":1}"));
    }

    @Test
    void commentsAloneDispatchNothing() {
        SseParser p = new SseParser();
        assertNull(p.line(":"));
        assertNull(p.line(""));
        assertNull(p.end());
    }
}
