package dev.llamagic.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionTest {
    static final List<String> CLOSED = new ArrayList<>();

    record A(String n) implements AutoCloseable {
        @Override
        public void close() {
            CLOSED.add(n);
        }
    }

    record B(String n) implements AutoCloseable {
        @Override
        public void close() {
            CLOSED.add(n);
            throw new IllegalStateException("B fails to close");
        }
    }

    @Test
    void onePartPerTypeClosedNewestFirstEvenWhenOneFails() {
        CLOSED.clear();
        Session s = new Session();
        assertNull(s.existing(A.class));
        A a = s.part(A.class, () -> new A("a"));
        assertSame(a, s.part(A.class, () -> new A("other")));
        s.part(B.class, () -> new B("b"));
        s.close();
        assertEquals(List.of("b", "a"), CLOSED);
        assertTrue(s.closed());
        s.close();
        assertEquals(2, CLOSED.size(), "closing twice closes nothing twice");
        assertThrows(IllegalStateException.class, () -> s.part(A.class, () -> new A("late")));
    }
}
