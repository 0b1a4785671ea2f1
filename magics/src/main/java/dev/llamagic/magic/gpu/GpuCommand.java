package dev.llamagic.magic.gpu;

import dev.llamagic.engine.gpu.Gpu;
import dev.llamagic.engine.gpu.GpuProcess;
import dev.llamagic.engine.gpu.HostStats;
import dev.llamagic.engine.gpu.NvidiaSmi;
import dev.llamagic.engine.gpu.ProcessNames;

import dev.llamagic.magic.Commands;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.util.Units;
import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.Servers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "gpu", mixinStandardHelpOptions = true,
        description = {"Shows each GPU's memory, utilisation, temperature and power, and the processes using GPU memory (CPU and RAM without a GPU).",
                "显示每块 GPU 的显存、利用率、温度和功耗，以及占用显存的进程（无 GPU 时显示 CPU 和内存）。"})
public class GpuCommand extends MagicCommand {

    /** Who our processes are: the llama-servers {@code %serve} started, by pid. */
    static ProcessNames processNames(Servers servers) {
        return ProcessNames.of(() -> servers.all().stream()
                .collect(Collectors.toMap(LlamaServer::pid, LlamaServer::name, (a, b) -> a)));
    }

    @Override
    protected void run() {
        String prefix = Commands.prefix("gpu", body, ctx);
        NvidiaSmi.Snapshot s = NvidiaSmi.probe(ctx.env());
        ProcessNames names = processNames(Servers.of(ctx));
        if (!s.available()) {
            out.print(prefix + ": no NVIDIA GPU here (" + s.absent() + "); showing CPU and RAM instead.");
            out.table(hostTable(Path.of("/proc"), names));
            return;
        }
        out.table(gpuTable(s));
        out.table(processTable(s, names));
    }

    /** One row per GPU. */
    public static Table gpuTable(NvidiaSmi.Snapshot s) {
        Table t = Table.create("GPUs (nvidia-smi)",
                IntColumn.create("GPU"), StringColumn.create("name"),
                LongColumn.create("memory used (MiB)"), LongColumn.create("memory total (MiB)"),
                DoubleColumn.create("memory used %"), IntColumn.create("utilization %"),
                IntColumn.create("temperature (°C)"), DoubleColumn.create("power (W)"));
        for (Gpu g : s.gpus()) {
            t.intColumn(0).append(g.index());
            t.stringColumn(1).append(g.name());
            appendLong(t.longColumn(2), g.memoryUsedMiB());
            appendLong(t.longColumn(3), g.memoryTotalMiB());
            if (g.memoryUsedMiB() != null && g.memoryTotalMiB() != null && g.memoryTotalMiB() > 0) {
                t.doubleColumn(4).append(Math.round(1000.0 * g.memoryUsedMiB() / g.memoryTotalMiB()) / 10.0);
            } else {
                t.doubleColumn(4).appendMissing();
            }
            appendInt(t.intColumn(5), g.utilization());
            appendInt(t.intColumn(6), g.temperature());
            if (g.powerWatts() == null) t.doubleColumn(7).appendMissing();
            else t.doubleColumn(7).append(g.powerWatts());
        }
        return t;
    }

    /** One row per process holding GPU memory; ours named. */
    public static Table processTable(NvidiaSmi.Snapshot s, ProcessNames names) {
        Table t = Table.create("processes using GPU memory (nvidia-smi)",
                LongColumn.create("pid"), StringColumn.create("process"), StringColumn.create("llamagic server"),
                LongColumn.create("GPU memory (MiB)"));
        for (GpuProcess p : s.processes()) {
            t.longColumn(0).append(p.pid());
            t.stringColumn(1).append(p.processName());
            String n = names.nameOfTree(p.pid());
            t.stringColumn(2).append(n == null ? "" : n);
            appendLong(t.longColumn(3), p.usedMiB());
        }
        return t;
    }

    /** CPU and RAM from /proc, and the resident memory of our processes. */
    public static Table hostTable(Path proc, ProcessNames names) {
        Table t = Table.create("CPU and RAM (/proc)", StringColumn.create("what"), StringColumn.create("value"));
        HostStats.Cpu cpu = HostStats.cpu(proc, 250);
        add(t, "CPU", cpu.model() + " × " + cpu.cores() + " logical cores");
        add(t, "CPU busy (all cores, 0.25 s sample)", cpu.busyPercent() == null ? ""
                : String.format(Locale.ROOT, "%.1f %%", cpu.busyPercent()));
        add(t, "load average (1 / 5 / 15 min)", cpu.loadAverage());
        try {
            HostStats.Ram ram = HostStats.ram(proc);
            add(t, "RAM used (total − available)", Units.bytes(ram.usedKiB() * 1024) + " of "
                    + Units.bytes(ram.totalKiB() * 1024)
                    + String.format(Locale.ROOT, " (%.0f %%)", 100.0 * ram.usedKiB() / ram.totalKiB()));
            add(t, "RAM available", Units.bytes(ram.availableKiB() * 1024));
        } catch (IOException e) {
            add(t, "RAM", "unreadable: " + e.getMessage());
        }
        for (Map.Entry<Long, String> e : names.running().entrySet()) {
            long rss = HostStats.rssKiB(proc, e.getKey());
            add(t, "server " + e.getValue() + " (pid " + e.getKey() + ") resident memory",
                    rss < 0 ? "gone" : Units.bytes(rss * 1024));
        }
        return t;
    }

    private static void add(Table t, String what, String value) {
        t.stringColumn(0).append(what);
        t.stringColumn(1).append(value);
    }

    private static void appendLong(LongColumn c, Long v) {
        if (v == null) c.appendMissing();
        else c.append(v);
    }

    private static void appendInt(IntColumn c, Integer v) {
        if (v == null) c.appendMissing();
        else c.append(v);
    }
}
