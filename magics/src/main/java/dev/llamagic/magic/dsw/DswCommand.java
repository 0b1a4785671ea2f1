package dev.llamagic.magic.dsw;

import dev.llamagic.engine.dsw.DswClient;
import dev.llamagic.engine.dsw.DswInstance;
import dev.llamagic.engine.dsw.DswSettings;
import dev.llamagic.engine.dsw.DswSnapshot;
import dev.llamagic.engine.dsw.DswTimer;
import dev.llamagic.util.Durations;
import dev.llamagic.engine.dsw.SnapshotFollower;

import dev.llamagic.magic.CloudSubcommands;
import dev.llamagic.magic.Commands;
import dev.llamagic.core.Context;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.UserError;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "dsw", mixinStandardHelpOptions = true,
        description = {"This PAI-DSW instance from the notebook: info, snapshot (save an image), auto-stop timer, stop, list.",
                "在笔记本中管理当前 PAI-DSW 实例：查看信息、制作镜像（快照）、定时关机、停止实例、列出实例。"},
        subcommands = {DswCommand.Info.class, DswCommand.Snapshot.class, DswCommand.Snapshots.class,
                DswCommand.Timer.class, DswCommand.Stop.class, DswCommand.ListInstances.class},
        footer = {"", "Without a subcommand: info. Credentials: the standard Alibaba Cloud chain (see README, %%dsw)."})
public class DswCommand extends MagicCommand {

    @Mixin
    Target target = new Target();

    @Spec
    CommandSpec spec;

    /**
     * Which instance, where: the same options before or after the subcommand. They are picocli's inherited options:
     * each subcommand accepts them too and a value given after the subcommand lands here as well (the later wins).
     */
    public static class Target {
        @Option(names = "--instance", scope = CommandLine.ScopeType.INHERIT, paramLabel = "ID", description = "Instance id (default: $DSW_INSTANCE_ID).")
        String instance;
        @Option(names = "--region", scope = CommandLine.ScopeType.INHERIT, paramLabel = "REGION", description = "Region, e.g. cn-hangzhou (default: $REGION).")
        String region;
        @Option(names = "--workspace", scope = CommandLine.ScopeType.INHERIT, paramLabel = "ID", description = "Workspace id (default: $PAI_WORKSPACE_ID).")
        String workspace;
        @Option(names = "--endpoint", scope = CommandLine.ScopeType.INHERIT, paramLabel = "HOST[:PORT]",
                description = "API endpoint (default: pai-dsw.<region>.aliyuncs.com).")
        String endpoint;
        @Option(names = "--vpc", scope = CommandLine.ScopeType.INHERIT, description = "Use the VPC endpoint pai-dsw-vpc.<region>.aliyuncs.com.")
        Boolean vpc;
        @Option(names = "--protocol", scope = CommandLine.ScopeType.INHERIT, paramLabel = "https|http", description = "Protocol to the endpoint (default: https).")
        String protocol;

        DswSettings settings(Context ctx, String prefix) {
            try {
                return DswSettings.resolve(ctx.env(), instance, region, workspace, endpoint, protocol,
                        Boolean.TRUE.equals(vpc));
            } catch (IllegalArgumentException e) {
                throw new UserError(prefix + ": " + e.getMessage());
            }
        }
    }

    /** A subcommand: runs with the parent's context and target. */
    interface Sub {
        void execute(DswCommand parent, String prefix, Target target);
    }

    @Override
    protected void run() {
        String base = Commands.prefix("dsw", body, ctx);
        CloudSubcommands.run(spec, base, out, ctx, "info", (Sub) new Info(),
                (command, prefix) -> command.execute(this, prefix, target));
    }

    DswClient connect(String prefix, Target t) {
        return CloudSubcommands.connect(out, () -> DswClient.connect(ctx, t.settings(ctx, prefix)));
    }

    Notebook out() {
        return out;
    }

    Context ctx() {
        return ctx;
    }

    // ---------------------------------------------------------------- info

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = {"This instance: status, spec, GPUs, image, auto-stop timer, latest snapshot.",
                    "当前实例：状态、规格、GPU、镜像、定时关机、最近的快照。"})
    public static class Info implements Sub {
        @Override
        public void execute(DswCommand p, String prefix, Target t) {
            DswClient dsw = p.connect(prefix, t);
            DswInstance i = dsw.instance();
            Table table = Table.create(i.id() + (i.name() != null ? " · " + i.name() : ""),
                    StringColumn.create("field"), StringColumn.create("value"));
            row(table, "status", i.status() + (i.reason() != null ? " · " + i.reason() : ""));
            row(table, "spec", i.ecsSpec());
            row(table, "GPU", i.gpus());
            row(table, "CPU / memory", i.resources());
            row(table, "image", i.imageName());
            if (i.imageUrl() != null && !Objects.equals(i.imageUrl(), i.imageName())) row(table, "image URL", i.imageUrl());
            row(table, "auto-stop timer", i.timer() == null ? "none" : i.timer().describe());
            row(table, "latest snapshot", i.latestSnapshot() == null ? "none" : i.latestSnapshot().describe());
            row(table, "workspace", join(i.workspaceName(), i.workspaceId()));
            row(table, "region", dsw.settings().region());
            row(table, "billing", i.paymentType());
            if (i.accumulatedRunningMs() != null) row(table, "running time", Durations.format(i.accumulatedRunningMs()));
            row(table, "created", i.created());
            p.out().table(table);
        }

        private static String join(String a, String b) {
            if (a == null) return b;
            if (b == null) return a;
            return a + " (" + b + ")";
        }
    }

    static void row(Table t, String field, String value) {
        if (value == null || value.isBlank()) return;
        t.stringColumn(0).append(field);
        t.stringColumn(1).append(value);
    }

    // ---------------------------------------------------------------- snapshot

    @Command(name = "snapshot", mixinStandardHelpOptions = true,
            description = {"Save this instance as an image (instance snapshot) and follow it to Saved or SaveFailed.",
                    "将当前实例制作为镜像（实例快照），并跟踪直到保存成功或失败。"})
    public static class Snapshot implements Sub {
        @Option(names = "--name", paramLabel = "NAME",
                description = "Snapshot name: lower-case letters, digits and '-' (default: llamagic-<date>-<time>).")
        String name;
        @Option(names = "--image-url", paramLabel = "URL",
                description = "Registry address to push to, e.g. registry.cn-hangzhou.aliyuncs.com/ns/repo:tag (default: the service's).")
        String imageUrl;
        @Option(names = "--exclude", paramLabel = "PATH", arity = "1..*",
                description = "Paths left out of the image (e.g. /mnt/workspace/models).")
        List<String> exclude = new ArrayList<>();
        @Option(names = "--overwrite", description = "Replace an existing image tag of the same name.")
        boolean overwrite;
        @Option(names = "--description", paramLabel = "TEXT", description = "A description kept with the snapshot.")
        String description;
        @Option(names = "--no-wait", description = "Return once requested; do not follow it.")
        boolean noWait;
        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2h",
                description = "Stop following after this long (default: ${DEFAULT-VALUE}); the snapshot goes on.")
        String timeout;
        @Option(names = "--poll", paramLabel = "SECONDS", defaultValue = "3",
                description = "First wait between status checks; it grows to 30 s (default: ${DEFAULT-VALUE}).")
        double poll;

        @Override
        public void execute(DswCommand p, String prefix, Target t) {
            String snapName = name != null ? name
                    : "llamagic-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            if (!snapName.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?") || snapName.length() > 128) {
                throw new UserError(prefix + ": --name '" + snapName + "' must be lower-case letters, digits and '-'"
                        + " (it becomes an image tag)");
            }
            Duration limit;
            try {
                limit = Durations.parse(timeout);
            } catch (IllegalArgumentException e) {
                throw new UserError(prefix + ": --timeout " + e.getMessage());
            }
            if (!(poll > 0) || poll > 600) throw new UserError(prefix + ": --poll must be between 0 and 600 seconds");
            DswClient dsw = p.connect(prefix, t);
            String id = dsw.createSnapshot(snapName, imageUrl, exclude, overwrite, description);
            String inst = dsw.settings().instanceId();
            if (noWait) {
                p.out().print("snapshot " + id + " (" + snapName + ") of " + inst + " requested; %dsw snapshots shows"
                        + " how it goes");
                return;
            }
            p.out().print("snapshot " + id + " (" + snapName + ") of " + inst + " requested; following it until it is"
                    + " saved (interrupting stops only the following: the snapshot goes on)");
            new SnapshotFollower(dsw, p.ctx(), Duration.ofMillis(Math.round(poll * 1000)), limit)
                    .follow(id, snapName, p.out());
        }
    }

    // ---------------------------------------------------------------- snapshots

    @Command(name = "snapshots", mixinStandardHelpOptions = true,
            description = {"The snapshots (saved images) of this instance, newest first.", "当前实例的快照（已保存的镜像），按时间倒序。"})
    public static class Snapshots implements Sub {
        @Override
        public void execute(DswCommand p, String prefix, Target t) {
            DswClient dsw = p.connect(prefix, t);
            List<DswSnapshot> all = dsw.snapshots();
            if (all.isEmpty()) {
                p.out().print("no snapshots of " + dsw.settings().instanceId() + " yet (make one: %dsw snapshot)");
                return;
            }
            Table table = Table.create("snapshots of " + dsw.settings().instanceId(),
                    StringColumn.create("snapshot"), StringColumn.create("name"), StringColumn.create("status"),
                    StringColumn.create("image"), StringColumn.create("created"), StringColumn.create("note"));
            for (DswSnapshot s : all) {
                table.stringColumn(0).append(nz(s.id()));
                table.stringColumn(1).append(nz(s.name()));
                table.stringColumn(2).append(nz(s.status()));
                table.stringColumn(3).append(nz(s.imageUrl()));
                table.stringColumn(4).append(nz(s.created()));
                table.stringColumn(5).append(nz(s.why()));
            }
            p.out().table(table);
        }
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }

    // ---------------------------------------------------------------- timer

    @Command(name = "timer", mixinStandardHelpOptions = true,
            description = {"The auto-stop timer: show it, set it (2h, 30m, 1h30m) or --cancel it.",
                    "定时关机：查看、设置（2h、30m、1h30m）或用 --cancel 取消。"})
    public static class Timer implements Sub {
        @Parameters(index = "0", arity = "0..1", paramLabel = "DURATION", description = "Stop the instance after this long.")
        String duration;
        @Option(names = "--cancel", description = "Remove the timer.")
        boolean cancel;

        @Override
        public void execute(DswCommand p, String prefix, Target t) {
            if (cancel && duration != null) {
                throw new UserError(prefix + ": give a duration or --cancel, not both");
            }
            Duration in = null;
            if (duration != null) {
                try {
                    in = Durations.parse(duration);
                } catch (IllegalArgumentException e) {
                    throw new UserError(prefix + ": " + e.getMessage());
                }
                if (in.toMinutes() < 1) throw new UserError(prefix + ": " + duration + " is too short (at least 1 min)");
            }
            DswClient dsw = p.connect(prefix, t);
            String inst = dsw.settings().instanceId();
            if (cancel) {
                dsw.cancelTimer();
                p.out().print("auto-stop timer of " + inst + " cancelled: it runs until stopped");
                return;
            }
            if (in != null) {
                dsw.setTimer(in);
                DswTimer now;
                try {
                    now = dsw.timer();
                } catch (DswClient.ApiFailure e) {
                    now = null; // set it is; reading it back (paidsw:GetInstanceShutdownTimer) is only a courtesy
                }
                p.out().print("auto-stop timer set: " + inst + " stops in " + Durations.format(in.toMillis())
                        + (now != null && now.dueTime() != null ? ", at " + now.dueTime() : ""));
                return;
            }
            DswTimer now = dsw.timer();
            p.out().print(now == null ? "no auto-stop timer on " + inst + " (set one: %dsw timer 2h)"
                    : "auto-stop timer: " + inst + " stops at " + now.describe());
        }
    }

    // ---------------------------------------------------------------- stop

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = {"Stop this instance (asks for --yes); --save-image saves the environment first.",
                    "停止当前实例（需加 --yes 确认）；--save-image 先保存环境镜像。"})
    public static class Stop implements Sub {
        @Option(names = "--save-image", description = "Save the instance's environment as an image while stopping.")
        boolean saveImage;
        @Option(names = "--yes", description = "Yes, stop it (this kernel stops with it).")
        boolean yes;

        @Override
        public void execute(DswCommand p, String prefix, Target t) {
            DswSettings s = t.settings(p.ctx(), prefix);
            String inst = s.instanceId() != null ? s.instanceId() : "the instance";
            if (!yes) {
                throw new UserError(prefix + ": not stopped: stopping " + inst + " ends this kernel and its GPU time;"
                        + " run " + prefix + (saveImage ? " --save-image" : "") + " --yes to confirm");
            }
            DswClient dsw = p.connect(prefix, t);
            String rid = dsw.stop(saveImage);
            p.out().print("stopping " + dsw.settings().instanceId() + (saveImage ? ", saving its image first" : "")
                    + (rid != null ? " (request id " + rid + ")" : ""));
        }
    }

    // ---------------------------------------------------------------- list

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"The instances of the workspace (or region) as a table.", "列出工作空间（或地域）中的实例。"})
    public static class ListInstances implements Sub {
        @Override
        public void execute(DswCommand p, String prefix, Target t) {
            DswClient dsw = p.connect(prefix, t);
            List<DswInstance> all = dsw.instances();
            String where = dsw.settings().workspaceId() != null ? "workspace " + dsw.settings().workspaceId()
                    : "region " + dsw.settings().region();
            if (all.isEmpty()) {
                p.out().print("no DSW instances in " + where);
                return;
            }
            Table table = Table.create("DSW instances in " + where, StringColumn.create("instance"),
                    StringColumn.create("name"), StringColumn.create("status"), StringColumn.create("spec"),
                    StringColumn.create("GPU"), StringColumn.create("image"), StringColumn.create("created"));
            String self = p.ctx().env("DSW_INSTANCE_ID");
            for (DswInstance i : all) {
                table.stringColumn(0).append(nz(i.id()) + (i.id() != null && i.id().equals(self) ? " (this one)" : ""));
                table.stringColumn(1).append(nz(i.name()));
                table.stringColumn(2).append(nz(i.status()));
                table.stringColumn(3).append(nz(i.ecsSpec()));
                table.stringColumn(4).append(i.gpus());
                table.stringColumn(5).append(i.image());
                table.stringColumn(6).append(nz(i.created()));
            }
            p.out().table(table);
        }
    }
}
