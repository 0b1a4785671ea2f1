package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class WordingTest {
    @Test
    void optionsAreNamedByTheCallerOrElseInTheEnginesWords() {
        String t = "{cuda|a CUDA build} needs nvcc{orCpu|, or build for the CPU} ($1 \\ {x})";
        assertEquals("a CUDA build needs nvcc, or build for the CPU ($1 \\ {x})", Wording.plain(t));
        assertEquals("--cuda needs nvcc ($1 \\ {x})", Wording.render(t, Map.of("cuda", "--cuda", "orCpu", "")));
        assertEquals("$x needs nvcc, or build for the CPU ($1 \\ {x})", Wording.render(t, Map.of("cuda", "$x")));
        Wording.Error e = new Wording.Error(t);
        assertEquals(Wording.plain(t), e.getMessage());
        assertEquals("--cuda needs nvcc; or --cpu ($1 \\ {x})", e.in(Map.of("cuda", "--cuda", "orCpu", "; or --cpu")));
    }
}
