package dev.llamagic.engine.gpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** CPU and RAM figures from Linux's /proc, for machines without an NVIDIA GPU. */
public final class HostStats {
    private HostStats() {}

    /**
     * @param busyPercent CPU time not idle over a short sample, all cores together (null if /proc/stat is unreadable)
     */
    public record Cpu(String model, int cores, String loadAverage, Double busyPercent) {}

    /** Memory in KiB as /proc/meminfo states it; used = total − available. */
    public record Ram(long totalKiB, long availableKiB) {
        public long usedKiB() {
            return totalKiB - availableKiB;
        }
    }

    public static Cpu cpu(Path proc, long sampleMillis) {
        String model = "unknown";
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            List<String> info = Files.readAllLines(proc.resolve("cpuinfo"));
            int n = 0;
            for (String l : info) {
                if (l.startsWith("processor")) n++;
                if (l.startsWith("model name") && "unknown".equals(model)) model = l.substring(l.indexOf(':') + 1).trim();
            }
            if (n > 0) cores = n;
        } catch (IOException ignored) {
            // keep the JVM's count
        }
        String load = "";
        try {
            String[] f = Files.readString(proc.resolve("loadavg")).trim().split("\\s+");
            load = f[0] + " / " + f[1] + " / " + f[2];
        } catch (IOException | ArrayIndexOutOfBoundsException ignored) {
            // left empty
        }
        Double busy = null;
        try {
            long[] a = stat(proc);
            Thread.sleep(sampleMillis);
            long[] b = stat(proc);
            long total = b[0] - a[0];
            long idle = b[1] - a[1];
            if (total > 0) busy = 100.0 * (total - idle) / total;
        } catch (IOException | RuntimeException ignored) {
            // left empty
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Cpu(model, cores, load, busy);
    }

    /** {total jiffies, idle+iowait jiffies} from the first line of /proc/stat. */
    static long[] stat(Path proc) throws IOException {
        String line = Files.readAllLines(proc.resolve("stat")).get(0);
        String[] f = line.trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]);
        long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
        return new long[] {total, idle};
    }

    public static Ram ram(Path proc) throws IOException {
        long total = -1;
        long avail = -1;
        for (String l : Files.readAllLines(proc.resolve("meminfo"))) {
            if (l.startsWith("MemTotal:")) total = kib(l);
            else if (l.startsWith("MemAvailable:")) avail = kib(l);
        }
        if (total < 0 || avail < 0) throw new IOException("no MemTotal/MemAvailable in /proc/meminfo");
        return new Ram(total, avail);
    }

    /** A process's resident memory (VmRSS, KiB), or -1. */
    public static long rssKiB(Path proc, long pid) {
        try {
            for (String l : Files.readAllLines(proc.resolve(Long.toString(pid)).resolve("status"))) {
                if (l.startsWith("VmRSS:")) return kib(l);
            }
        } catch (IOException | RuntimeException ignored) {
            // gone
        }
        return -1;
    }

    private static long kib(String line) {
        String[] f = line.split("\\s+");
        return Long.parseLong(f[1]);
    }
}
