package dev.llamagic.engine.build;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.TreeSet;

/**
 * What GPU code a library holds, read from its ELF {@code .nv_fatbin} section without a GPU or the toolkit (what
 * {@code cuobjdump --list-elf/--list-ptx} shows): the machine-code architectures ({@code sm_86}) and the PTX ones.
 * The section is a run of fat binaries: a 16-byte header (magic 0xBA55ED50, version, header size, size) and entries
 * (kind 1 = PTX, 2 = ELF cubin; header size at 4, payload size at 8, architecture at 28).
 */
public final class FatBinary {
    /** Machine-code and PTX architectures found (numbers: 86, 75), ascending. */
    public record Code(List<Integer> cubins, List<Integer> ptx) {
        public boolean isEmpty() {
            return cubins.isEmpty() && ptx.isEmpty();
        }

        /** "sm_86 + PTX compute_86", as cuobjdump names them. */
        public String describe() {
            if (isEmpty()) return "no CUDA code";
            String s = String.join(", ", cubins.stream().map(a -> "sm_" + a).toList());
            if (!ptx.isEmpty()) {
                s += (s.isEmpty() ? "" : " + ") + "PTX " + String.join(", ", ptx.stream().map(a -> "compute_" + a).toList());
            }
            return s;
        }
    }

    static final int MAGIC = 0xBA55ED50;

    private FatBinary() {}

    /** The GPU code in {@code file} (a shared library, executable or object); empty when it has no {@code .nv_fatbin}. */
    public static Code read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer section = section(ch, ".nv_fatbin");
            return section == null ? new Code(List.of(), List.of()) : parse(section);
        }
    }

    /** The architectures in a {@code .nv_fatbin} section's bytes. */
    static Code parse(ByteBuffer b) {
        b = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        TreeSet<Integer> cubins = new TreeSet<>(), ptx = new TreeSet<>();
        int pos = 0;
        while (pos + 16 <= b.limit()) {
            if (b.getInt(pos) != MAGIC) {
                pos += 4; // padding between the fat binaries of the objects linked together
                continue;
            }
            int headerSize = Short.toUnsignedInt(b.getShort(pos + 6));
            long size = b.getLong(pos + 8);
            long end = Math.min(b.limit(), pos + headerSize + size);
            long e = pos + headerSize;
            while (e + 32 <= end) {
                int kind = Short.toUnsignedInt(b.getShort((int) e));
                long entryHeader = Integer.toUnsignedLong(b.getInt((int) e + 4));
                long payload = b.getLong((int) e + 8);
                int arch = b.getInt((int) e + 28);
                if (entryHeader < 32 || payload < 0) break;
                if (kind == 2) cubins.add(arch);
                else if (kind == 1) ptx.add(arch);
                e += entryHeader + payload;
            }
            pos = (int) Math.max(end, pos + 4);
        }
        return new Code(List.copyOf(cubins), List.copyOf(ptx));
    }

    /** A 64-bit little-endian ELF file's section by name, or null (not such an ELF, or no such section). */
    static ByteBuffer section(FileChannel ch, String name) throws IOException {
        ByteBuffer h = read(ch, 0, 64);
        if (h.limit() < 64 || h.getInt(0) != 0x464C457F || h.get(4) != 2 || h.get(5) != 1) return null;
        long shoff = h.getLong(0x28);
        int shentsize = Short.toUnsignedInt(h.getShort(0x3A));
        int shnum = Short.toUnsignedInt(h.getShort(0x3C));
        int shstrndx = Short.toUnsignedInt(h.getShort(0x3E));
        if (shoff <= 0 || shentsize < 64 || shnum == 0 || shstrndx >= shnum) return null;
        ByteBuffer headers = read(ch, shoff, (long) shentsize * shnum);
        if (headers.limit() < shentsize * shnum) return null;
        long strOff = headers.getLong(shstrndx * shentsize + 24);
        long strSize = headers.getLong(shstrndx * shentsize + 32);
        ByteBuffer names = read(ch, strOff, strSize);
        byte[] wanted = name.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < shnum; i++) {
            int at = headers.getInt(i * shentsize);
            if (at < 0 || at + wanted.length >= names.limit()) continue;
            boolean same = names.get(at + wanted.length) == 0;
            for (int k = 0; same && k < wanted.length; k++) same = names.get(at + k) == wanted[k];
            if (!same) continue;
            int type = headers.getInt(i * shentsize + 4);
            if (type == 8) return ByteBuffer.allocate(0); // NOBITS
            long off = headers.getLong(i * shentsize + 24), size = headers.getLong(i * shentsize + 32);
            if (size > Integer.MAX_VALUE) return null;
            return ch.map(FileChannel.MapMode.READ_ONLY, off, size).order(ByteOrder.LITTLE_ENDIAN);
        }
        return null;
    }

    private static ByteBuffer read(FileChannel ch, long pos, long size) throws IOException {
        long n = Math.max(0, Math.min(size, ch.size() - pos));
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(n, 64L << 20)).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining() && ch.read(b, pos + b.position()) > 0) {
            // keep reading
        }
        b.flip();
        return b;
    }
}
