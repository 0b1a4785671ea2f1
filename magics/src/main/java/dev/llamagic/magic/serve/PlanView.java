package dev.llamagic.magic.serve;

import dev.llamagic.core.Notebook;
import dev.llamagic.engine.serve.GpuFit;
import dev.llamagic.engine.serve.MemoryPlan;
import dev.llamagic.util.Html;
import dev.llamagic.util.Units;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/** {@code %serve MODEL --plan}: the command, the fitted settings and the memory budget per GPU; nothing is started. */
final class PlanView {
    private PlanView() {}

    static void show(Notebook out, GpuFit.Planned p) {
        MemoryPlan.Plan plan = p.plan();
        String command = p.command();
        out.html("<div><b>plan</b> (nothing started): <code>" + Html.escape(command) + "</code></div>", "command: " + command);
        for (String n : p.notes()) out.print("note: " + n);
        if (!p.gpuBuild() && !p.gpus().isEmpty()) {
            out.print("note: this llama.cpp build has no GPU backend (CPU only): the GPU rows are what a CUDA build "
                    + "would use (%build-llama builds one)");
        }
        StringBuilder fitted = new StringBuilder();
        fitted.append("context ").append(plan.ctx()).append(plan.ctxFitted() ? " (fitted)" : " (given)");
        fitted.append(", ").append(plan.gpuLayers()).append("/").append(plan.totalLayers()).append(" layers on GPU");
        if (p.gpus().size() > 1) fitted.append(", tensor split ").append(plan.splitArg());
        out.print((p.gpus().isEmpty() ? "no GPU (nvidia-smi lists none): " : "") + fitted
                + (plan.fits() ? "" : " — does not fit: lower --ctx, use --cache-type q8_0, or a smaller quantization"));
        Table t = Table.create("memory budget", StringColumn.create("device"), IntColumn.create("layers"),
                StringColumn.create("weights"), StringColumn.create("KV cache"), StringColumn.create("compute"),
                StringColumn.create("free"), StringColumn.create("free after"));
        for (MemoryPlan.Row r : plan.rows()) {
            t.stringColumn(0).append(r.device());
            t.intColumn(1).append(r.layers());
            t.stringColumn(2).append(Units.bytes(r.weights()));
            t.stringColumn(3).append(Units.bytes(r.kv()));
            t.stringColumn(4).append(Units.bytes(r.compute()));
            t.stringColumn(5).append(r.free() > 0 ? Units.bytes(r.free()) : "?");
            t.stringColumn(6).append(r.free() > 0 ? Units.bytes(r.freeAfter()) : "?");
        }
        out.table(t);
        out.print(p.fitsItself()
                ? "this llama-server fits context and layers itself at load time (-fit): the table is llamagic's estimate"
                : "this llama-server has no -fit: --fit applies this estimate (context and -ngl)");
    }
}
