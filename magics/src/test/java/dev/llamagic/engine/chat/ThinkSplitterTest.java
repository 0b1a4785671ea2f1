package dev.llamagic.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ThinkSplitterTest {

    private static String[] split(List<String> chunks) {
        StringBuilder r = new StringBuilder();
        StringBuilder c = new StringBuilder();
        ThinkSplitter s = new ThinkSplitter();
        for (String ch : chunks) s.feed(ch, (rr, cc) -> { r.append(rr); c.append(cc); });
        s.end((rr, cc) -> { r.append(rr); c.append(cc); });
        return new String[] {r.toString(), c.toString()};
    }

    @Test
    void thinkBlockSplitAcrossChunks() {
        String[] rc = split(List.of("<thi", "nk>\nLet me", " think.</th", "ink>\n\nThe answer", " is 4."));
        assertEquals("\nLet me think.", rc[0]);
        assertEquals("The answer is 4.", rc[1]);
    }

    @Test
    void noThinkBlock() {
        String[] rc = split(List.of("Hel", "lo <think> not at start"));
        assertEquals("", rc[0]);
        assertEquals("Hello <think> not at start", rc[1]);
    }

    @Test
    void anUnfinishedThoughtStaysReasoning() {
        String[] rc = split(List.of("<think>still thinking"));
        assertEquals("still thinking", rc[0]);
        assertEquals("", rc[1]);
    }

    @Test
    void aShortAnswerThatLooksLikeTheTagStart() {
        String[] rc = split(List.of("<"));
        assertEquals("<", rc[1]);
    }
}
