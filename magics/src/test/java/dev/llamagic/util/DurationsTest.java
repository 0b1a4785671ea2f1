package dev.llamagic.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parsesWhatUsersTypeForTimers() {
        assertEquals(Duration.ofHours(2), Durations.parse("2h"));
        assertEquals(Duration.ofMinutes(30), Durations.parse("30m"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1.5h"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("90min"));
        assertEquals(Duration.ofMinutes(90), Durations.parse(" 1 h 30 min "));
        assertEquals(Duration.ofSeconds(45), Durations.parse("45s"));
        assertEquals(Duration.ofDays(1), Durations.parse("1d"));
        assertEquals(Duration.ofHours(3), Durations.parse("3 hours"));
        assertEquals(Duration.ofHours(2), Durations.parse("2H"));
    }

    @Test
    void rejectsWhatIsNotADuration() {
        for (String bad : new String[] {"", "2", "h", "2x", "two hours", "2h-30m", "-2h", "0m", "1h30"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
            assertTrue(e.getMessage().contains("duration"), e.getMessage());
        }
    }

    @Test
    void formatsForPeople() {
        assertEquals("45 s", Durations.format(45_000));
        assertEquals("30 min", Durations.format(1_800_000));
        assertEquals("1 min 30 s", Durations.format(90_000));
        assertEquals("2 h 00 min", Durations.format(7_200_000));
        assertEquals("1 h 30 min", Durations.format(5_400_000));
        assertEquals("1 d 2 h 00 min", Durations.format(93_600_000));
        assertEquals("0 s", Durations.format(-5));
    }
}
