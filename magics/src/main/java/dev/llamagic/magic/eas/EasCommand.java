package dev.llamagic.magic.eas;

import dev.llamagic.core.Context;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.UserError;
import dev.llamagic.util.Durations;
import dev.llamagic.engine.eas.EasApiError;
import dev.llamagic.engine.eas.EasClient;
import dev.llamagic.engine.eas.EasService;
import dev.llamagic.engine.eas.EasSettings;
import dev.llamagic.engine.eas.RamPolicy;
import dev.llamagic.engine.eas.ServiceFollower;
import dev.llamagic.engine.eas.ServiceSpec;
import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.Servers;
import dev.llamagic.magic.CloudSubcommands;
import dev.llamagic.magic.Commands;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.util.Html;
import dev.llamagic.util.Similar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "eas", mixinStandardHelpOptions = true,
        description = {"A served model as an autoscaled PAI-EAS service: deploy, list, status, scale, autoscale, logs, stop, start, delete.",
                "把本笔记本里的模型部署为 PAI-EAS 在线服务（可弹性伸缩）：部署、列表、状态、扩缩容、自动伸缩、日志、停止、启动、删除。"},
        subcommands = {EasCommand.Deploy.class, EasCommand.ListServices.class, EasCommand.Status.class,
                EasCommand.Scale.class, EasCommand.Autoscale.class, EasCommand.Logs.class, EasCommand.Stop.class,
                EasCommand.Start.class, EasCommand.Delete.class},
        footer = {"", "Without a subcommand: list. Credentials: the standard Alibaba Cloud chain, as %%dsw.",
                "Then: %%chat --eas NAME \"...\" and %%bench --eas NAME measure the service."})
public class EasCommand extends MagicCommand {

    @Mixin
    Target target = new Target();

    @Spec
    CommandSpec spec;

    /** Where the EAS API is: the same options before or after the subcommand. */
    public static class Target {
        @Option(names = "--region", scope = CommandLine.ScopeType.INHERIT, paramLabel = "REGION", description = "Region, e.g. cn-hangzhou (default: $REGION).")
        String region;
        @Option(names = "--workspace", scope = CommandLine.ScopeType.INHERIT, paramLabel = "ID", description = "Workspace id (default: $PAI_WORKSPACE_ID).")
        String workspace;
        @Option(names = "--endpoint", scope = CommandLine.ScopeType.INHERIT, paramLabel = "HOST[:PORT]",
                description = "API endpoint (default: pai-eas.<region>.aliyuncs.com).")
        String endpoint;
        @Option(names = "--protocol", scope = CommandLine.ScopeType.INHERIT, paramLabel = "https|http", description = "Protocol to the endpoint (default: https).")
        String protocol;

        EasSettings settings(Context ctx) {
            try {
                return EasSettings.resolve(ctx.env(), region, workspace, endpoint, protocol);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
        }
    }

    interface Sub {
        void execute(EasCommand parent, String prefix, Target target);
    }

    @Override
    protected void run() {
        String base = Commands.prefix("eas", body, ctx);
        CloudSubcommands.run(spec, base, out, ctx, "list", (Sub) new ListServices(),
                (command, prefix) -> command.execute(this, prefix, target));
    }

    EasClient connect(Target t) {
        return CloudSubcommands.connect(out, () -> EasClient.connect(ctx, t.settings(ctx)));
    }

    /**
     * Runs {@code r}; a service that is not there becomes one line with the nearest name among the listed ones
     * ("did you mean ...?"), or the names there are.
     */
    static <T> T known(EasClient eas, String name, java.util.function.Supplier<T> r) {
        try {
            return r.get();
        } catch (EasClient.ApiFailure e) {
            if (e.error.kind() != EasApiError.Kind.NOT_FOUND || e.service == null) throw e;
            List<String> names;
            try {
                names = eas.services().stream().map(EasService::name).filter(n -> n != null).toList();
            } catch (UserError listing) {
                throw e;
            }
            throw new UserError(e.getMessage() + "; " + suggestion(name, names), e);
        }
    }

    /** {@link #known} for a call with no answer. */
    static void knownDo(EasClient eas, String name, Runnable r) {
        known(eas, name, () -> {
            r.run();
            return null;
        });
    }

    static String suggestion(String name, List<String> names) {
        if (names.isEmpty()) return "there are no services there (deploy one: %eas deploy NAME MODEL)";
        String near = names.stream().filter(n -> Similar.editDistance(n, name) <= Math.max(2, name.length() / 3))
                .min(Comparator.comparingInt(n -> Similar.editDistance(n, name))).orElse(null);
        if (near != null) return "did you mean " + near + "?";
        return "services there: " + String.join(", ", names.size() > 8 ? names.subList(0, 8) : names)
                + (names.size() > 8 ? ", ..." : "");
    }

    static Duration duration(String flag, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UserError(flag + " " + e.getMessage());
        }
    }

    Notebook out() {
        return out;
    }

    Context ctx() {
        return ctx;
    }

    /** Options of the subcommands that wait for a state. */
    static class Waiting {
        @Option(names = "--no-wait", description = "Return once requested; do not follow it.")
        boolean noWait;
        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30m",
                description = "Stop following after this long (default: ${DEFAULT-VALUE}); the service goes on.")
        String timeout;
        @Option(names = "--poll", paramLabel = "SECONDS", defaultValue = "5",
                description = "First wait between status checks; it grows to 30 s (default: ${DEFAULT-VALUE}).")
        double poll;

        ServiceFollower follower(EasClient eas, Context ctx) {
            Duration limit = duration("--timeout", timeout);
            if (!(poll > 0) || poll > 600) throw new UserError("--poll must be between 0 and 600 seconds");
            return new ServiceFollower(eas, ctx, Duration.ofMillis(Math.round(poll * 1000)), limit);
        }

        void check() {
            duration("--timeout", timeout);
            if (!(poll > 0) || poll > 600) throw new UserError("--poll must be between 0 and 600 seconds");
        }

        /**
         * Checks these options, asks for {@code call} on service {@code name}, prints {@code requested}, then (unless
         * --no-wait) follows it to {@code target}; null when not followed.
         */
        EasService request(EasCommand p, Target t, String name, java.util.function.BiConsumer<EasClient, String> call,
                String requested, ServiceFollower.Target target) {
            check();
            EasClient eas = p.connect(t);
            knownDo(eas, name, () -> call.accept(eas, name));
            p.out().print(requested);
            if (noWait) return null;
            return follower(eas, p.ctx()).follow(name, target, p.out());
        }
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }

    static void row(Table t, String field, String value) {
        if (value == null || value.isBlank()) return;
        t.stringColumn(0).append(field);
        t.stringColumn(1).append(value);
    }

    // ---------------------------------------------------------------- deploy

    @Command(name = "deploy", mixinStandardHelpOptions = true,
            description = {"Deploy a model this notebook served (a GGUF on llama-server, or a Hugging Face directory on vLLM) as an EAS service.",
                    "将本笔记本中运行过的模型（GGUF 用 llama-server，Hugging Face 目录用 vLLM）部署为 EAS 服务。"})
    public static class Deploy implements Sub {
        @Parameters(index = "0", paramLabel = "NAME", description = "Service name: lower-case letters, digits and '_'.")
        String name;
        @Parameters(index = "1", paramLabel = "MODEL", description = "A GGUF file, a Hugging Face directory, or a server from %%serve --list.")
        String model;
        @Option(names = "--instances", paramLabel = "N", defaultValue = "1", description = "Instances to start with (default: ${DEFAULT-VALUE}).")
        int instances;
        @Option(names = "--max-instances", paramLabel = "M", description = "Autoscale up to this many instances on QPS.")
        Integer maxInstances;
        @Option(names = "--qps", paramLabel = "Q", defaultValue = "10", description = "With --max-instances: QPS per instance that adds one (default: ${DEFAULT-VALUE}).")
        double qps;
        @Option(names = "--gpu", paramLabel = "GPU", defaultValue = "A10", description = "A10, T4, V100, or an instance type ecs.* (default: ${DEFAULT-VALUE}).")
        String gpu;
        @Option(names = "--oss", paramLabel = "oss://BUCKET/DIR/", description = "The OSS directory the model file is in (mounted at /models).")
        String oss;
        @Option(names = "--nas", paramLabel = "SERVER:/DIR", description = "The NAS directory the model file is in (mounted at /models).")
        String nas;
        @Option(names = "--image", paramLabel = "IMAGE", description = "Container image (default: $LLAMAGIC_EAS_IMAGE, else our llama-server image; vLLM: EAS's).")
        String image;
        @Option(names = "--ctx", paramLabel = "N", defaultValue = "8192", description = "Context per request (default: ${DEFAULT-VALUE}).")
        int contextSize;
        @Option(names = "--parallel", paramLabel = "N", defaultValue = "4", description = "Requests each instance serves at once (default: ${DEFAULT-VALUE}).")
        int parallel;
        @Option(names = "--dry-run", description = "Print the service JSON and the RAM policy it needs; call nothing.")
        boolean dryRun;
        @Mixin
        Waiting waiting = new Waiting();

        @Override
        public void execute(EasCommand p, String prefix, Target t) {
            EasSettings settings = t.settings(p.ctx());
            Path file = modelPath(p, model);
            String img = image != null ? image : p.ctx().env("LLAMAGIC_EAS_IMAGE");
            ServiceSpec service = ServiceSpec.builder(name, file).instances(instances).maxInstances(maxInstances).qps(qps)
                    .gpu(gpu).oss(oss).nas(nas).image(img).region(settings.region()).contextSize(contextSize)
                    .parallel(parallel).build();
            waiting.check();
            Notebook out = p.out();
            String where = "the model must be at " + service.modelLocation()
                    + (service.oss() ? " (upload it first: ossutil cp " + file + " " + service.modelLocation() + ")" : "");
            if (dryRun) {
                String json = service.toJson();
                out.print("service JSON (the CreateService body; nothing was sent):");
                out.html(Html.pre(json), json);
                String policy = RamPolicy.document(RamPolicy.DEPLOY);
                out.print("RAM policy it needs (" + String.join(", ", RamPolicy.DEPLOY) + "):");
                out.html(Html.pre(policy), policy);
                out.print(where);
                return;
            }
            EasClient eas = p.connect(t);
            out.print("deploying " + name + ": " + file.getFileName() + " on " + service.instanceType() + " × " + instances
                    + (maxInstances != null ? " (autoscaling to " + maxInstances + ")" : "") + "; " + where);
            EasService created = eas.create(service);
            if (waiting.noWait) {
                out.print("service " + created.name() + " " + nz(created.status()) + "; %eas status " + name
                        + " shows how it goes");
                return;
            }
            out.print("service " + created.name() + " " + nz(created.status()) + "; following it until it runs"
                    + " (interrupting stops only the following: the deployment goes on)");
            EasService s = waiting.follower(eas, p.ctx()).follow(name, ServiceFollower.Target.RUNNING, out);
            out.print("service " + name + " Running (" + s.instances() + " instances) at "
                    + nz(s.internetEndpoint() != null ? s.internetEndpoint() : s.intranetEndpoint())
                    + "; ask it: %chat --eas " + name + " \"...\", measure it: %bench --eas " + name);
        }

        /** A file or directory on disk, else the model of a server %serve started. */
        static Path modelPath(EasCommand p, String model) {
            Path path = Path.of(model);
            if (Files.exists(path)) return path.toAbsolutePath().normalize();
            LlamaServer s = Servers.of(p.ctx()).find(model).orElse(null);
            if (s != null && s.modelPath() != null) return s.modelPath();
            throw new UserError("no such model: " + model + " (a GGUF file, a Hugging Face directory, or a server"
                    + " from %serve --list)");
        }
    }

    // ---------------------------------------------------------------- list

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"The EAS services of the region (or workspace) as a table.", "列出地域（或工作空间）中的 EAS 服务。"})
    public static class ListServices implements Sub {
        @Override
        public void execute(EasCommand p, String prefix, Target t) {
            EasClient eas = p.connect(t);
            List<EasService> all = eas.services();
            String where = eas.settings().workspaceId() != null ? "workspace " + eas.settings().workspaceId()
                    : "region " + eas.settings().region();
            if (all.isEmpty()) {
                p.out().print("no EAS services in " + where + " (deploy one: %eas deploy NAME MODEL)");
                return;
            }
            Table table = Table.create("EAS services in " + where, StringColumn.create("service"),
                    StringColumn.create("status"), StringColumn.create("instances"), StringColumn.create("resource"),
                    StringColumn.create("endpoint"), StringColumn.create("created"), StringColumn.create("note"));
            for (EasService s : all) {
                table.stringColumn(0).append(nz(s.name()));
                table.stringColumn(1).append(nz(s.status()));
                table.stringColumn(2).append(s.instances());
                table.stringColumn(3).append(nz(s.resource()));
                table.stringColumn(4).append(nz(s.internetEndpoint()));
                table.stringColumn(5).append(nz(s.created()));
                table.stringColumn(6).append(s.running() ? "" : s.why());
            }
            p.out().table(table);
        }
    }

    // ---------------------------------------------------------------- status

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"One service: status and why, instances, endpoints, image, resources.", "单个服务：状态及原因、实例数、访问地址、镜像、资源。"})
    public static class Status implements Sub {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public void execute(EasCommand p, String prefix, Target t) {
            EasClient eas = p.connect(t);
            EasService s = known(eas, name, () -> eas.service(name));
            Table table = Table.create("EAS service " + s.name(), StringColumn.create("field"), StringColumn.create("value"));
            row(table, "status", nz(s.status()) + (s.why().isEmpty() ? "" : " · " + s.why()));
            row(table, "instances", s.instances().isEmpty() ? "" : s.instances() + " running"
                    + (s.pendingInstance() != null && s.pendingInstance() > 0 ? ", " + s.pendingInstance() + " pending" : ""));
            row(table, "endpoint", s.internetEndpoint());
            row(table, "VPC endpoint", s.intranetEndpoint());
            row(table, "token", "hidden (%chat --eas and %bench --eas send it)");
            row(table, "image", s.image());
            row(table, "resource", s.resource());
            String res = (s.gpu() != null && s.gpu() > 0 ? s.gpu() + " GPU · " : "") + (s.cpu() != null ? s.cpu() + " vCPU" : "")
                    + (s.memoryMb() != null ? " · " + s.memoryMb() / 1000 + " GB" : "");
            row(table, "per instance", res);
            row(table, "region", s.region() != null ? s.region() : eas.settings().region());
            row(table, "created", s.created());
            row(table, "updated", s.updated());
            p.out().table(table);
        }
    }

    // ---------------------------------------------------------------- scale

    @Command(name = "scale", mixinStandardHelpOptions = true,
            description = {"Set the number of instances and follow until they run.", "设置实例数，并跟踪直到全部运行。"})
    public static class Scale implements Sub {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "N")
        int instances;
        @Mixin
        Waiting waiting = new Waiting();

        @Override
        public void execute(EasCommand p, String prefix, Target t) {
            if (instances < 0 || instances > 100) throw new UserError("N must be between 0 and 100, not " + instances);
            waiting.check();
            EasClient eas = p.connect(t);
            EasService before = known(eas, name, () -> eas.service(name));
            eas.scale(name, instances);
            p.out().print("scaling " + name + " from " + (before.totalInstance() == null ? "?" : before.totalInstance())
                    + " to " + instances + " instances");
            if (waiting.noWait || instances == 0) return;
            EasService s = waiting.follower(eas, p.ctx()).follow(name, ServiceFollower.Target.RUNNING, p.out());
            p.out().print("service " + name + " Running (" + s.instances() + " instances)");
        }
    }

    // ---------------------------------------------------------------- autoscale

    @Command(name = "autoscale", mixinStandardHelpOptions = true,
            description = {"Scale between --min and --max instances on QPS per instance.", "按单实例 QPS 在 --min 与 --max 之间自动伸缩。"})
    public static class Autoscale implements Sub {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--min", required = true, paramLabel = "A")
        int min;
        @Option(names = "--max", required = true, paramLabel = "B")
        int max;
        @Option(names = "--qps", paramLabel = "Q", defaultValue = "10", description = "QPS per instance that adds one (default: ${DEFAULT-VALUE}).")
        double qps;

        @Override
        public void execute(EasCommand p, String prefix, Target t) {
            ServiceSpec.autoscaler(min, max, qps); // checks the numbers before anything is sent
            EasClient eas = p.connect(t);
            known(eas, name, () -> eas.service(name));
            eas.autoscale(name, min, max, qps);
            p.out().print("autoscaling " + name + " between " + min + " and " + max + " instances at "
                    + (qps == Math.rint(qps) ? Long.toString((long) qps) : Double.toString(qps)) + " QPS per instance");
        }
    }

    // ---------------------------------------------------------------- logs

    @Command(name = "logs", mixinStandardHelpOptions = true,
            description = {"The service's latest log lines.", "服务最近的日志。"})
    public static class Logs implements Sub {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--lines", paramLabel = "N", defaultValue = "100", description = "How many (default: ${DEFAULT-VALUE}).")
        int lines;

        @Override
        public void execute(EasCommand p, String prefix, Target t) {
            if (lines < 1 || lines > 10000) throw new UserError("--lines must be between 1 and 10000");
            EasClient eas = p.connect(t);
            List<String> got = known(eas, name, () -> eas.logs(name, lines));
            if (got.isEmpty()) {
                p.out().print("no log lines from " + name + " yet");
                return;
            }
            String text = String.join("\n", got);
            p.out().html(Html.pre(text), text);
        }
    }

    // ---------------------------------------------------------------- stop / start / delete

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = {"Stop the service (its instances stop being billed) and follow until Stopped.", "停止服务（实例停止计费），并跟踪直到停止。"})
    public static class Stop implements Sub {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Mixin
        Waiting waiting = new Waiting();

        @Override
        public void execute(EasCommand p, String prefix, Target t) {
            EasService s = waiting.request(p, t, name, EasClient::stop, "stopping " + name
                    + " (start it again: %eas start " + name + ")", ServiceFollower.Target.STOPPED);
            if (s != null) p.out().print("service " + name + " Stopped");
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Start a stopped service and follow until it runs.", "启动已停止的服务，并跟踪直到运行。"})
    public static class Start implements Sub {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Mixin
        Waiting waiting = new Waiting();

        @Override
        public void execute(EasCommand p, String prefix, Target t) {
            EasService s = waiting.request(p, t, name, EasClient::start, "starting " + name, ServiceFollower.Target.RUNNING);
            if (s != null) p.out().print("service " + name + " Running (" + s.instances() + " instances)");
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Delete the service (asks for --yes).", "删除服务（需加 --yes 确认）。"})
    public static class Delete implements Sub {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--yes", description = "Yes, delete it.")
        boolean yes;

        @Override
        public void execute(EasCommand p, String prefix, Target t) {
            if (!yes) {
                throw new UserError(prefix + ": not deleted: deleting " + name + " removes the service, its endpoint"
                        + " and its token; run " + prefix + " " + name + " --yes to confirm");
            }
            EasClient eas = p.connect(t);
            knownDo(eas, name, () -> eas.delete(name));
            p.out().print("deleting " + name);
        }
    }
}
