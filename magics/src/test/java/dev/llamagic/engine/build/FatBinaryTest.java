package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU code of a library read from its {@code .nv_fatbin}. {@code tiny-sm75-sm86.o} is a real object file made by
 * CUDA 11.8's nvcc from {@code tiny.cu} beside it ({@code nvcc -ccbin g++-11 -c tiny.cu -gencode
 * arch=compute_75,code=sm_75 -gencode arch=compute_86,code=[sm_86,compute_86]}); {@code cuobjdump --list-elf} lists
 * sm_75 and sm_86 cubins in it, {@code --list-ptx} one sm_86 PTX.
 */
class FatBinaryTest {
    @TempDir
    Path tmp;

    private Path resource(String name) throws Exception {
        Path p = tmp.resolve(name);
        try (InputStream in = FatBinaryTest.class.getResourceAsStream(name)) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void readsWhatCuobjdumpListsFromARealObject() throws Exception {
        FatBinary.Code code = FatBinary.read(resource("tiny-sm75-sm86.o"));
        assertEquals(List.of(75, 86), code.cubins());
        assertEquals(List.of(86), code.ptx());
        assertEquals("sm_75, sm_86 + PTX compute_86", code.describe());
    }

    @Test
    void aFileWithoutGpuCodeHasNone() throws Exception {
        Path text = Files.writeString(tmp.resolve("plain.txt"), "not an ELF file at all, just text");
        assertTrue(FatBinary.read(text).isEmpty());
        assertEquals("no CUDA code", FatBinary.read(text).describe());
        // an ELF without the section: this JVM's own launcher
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (Files.isRegularFile(java)) assertTrue(FatBinary.read(java).isEmpty());
    }

    @Test
    void fatBinariesOfSeveralObjectsWithPaddingBetween() {
        ByteBuffer b = ByteBuffer.allocate(400).order(ByteOrder.LITTLE_ENDIAN);
        int at = fat(b, 0, new int[][] {{2, 86, 100}});
        at = fat(b, at + 8, new int[][] {{2, 61, 40}, {1, 61, 20}}); // 8 bytes of padding first
        b.limit(at);
        FatBinary.Code code = FatBinary.parse(b);
        assertEquals(List.of(61, 86), code.cubins());
        assertEquals(List.of(61), code.ptx());
    }

    /** A fat binary at {@code pos} with entries {kind, arch, payload size}; returns where it ends. */
    private static int fat(ByteBuffer b, int pos, int[][] entries) {
        int size = 0;
        for (int[] e : entries) size += 64 + e[2];
        b.putInt(pos, FatBinary.MAGIC).putShort(pos + 4, (short) 1).putShort(pos + 6, (short) 16).putLong(pos + 8, size);
        int e = pos + 16;
        for (int[] entry : entries) {
            b.putShort(e, (short) entry[0]).putInt(e + 4, 64).putLong(e + 8, entry[2]).putInt(e + 28, entry[1]);
            e += 64 + entry[2];
        }
        return e;
    }
}
