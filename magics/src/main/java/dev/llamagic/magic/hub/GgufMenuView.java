package dev.llamagic.magic.hub;

import dev.llamagic.core.Notebook;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.hub.GgufQuants;
import dev.llamagic.engine.hub.HubException;
import dev.llamagic.engine.hub.HubGguf;
import dev.llamagic.util.Units;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A GGUF repo's quantizations as a table (size, whether it fits the free GPU memory or RAM), then the one line
 * that stops the cell and says how to pick one. Shared by %ms-download and %serve.
 */
public final class GgufMenuView {
    private GgufMenuView() {}

    /** Shows the menu and returns the error that stops the cell ({@code magic} is "%serve" or "%ms-download"). */
    public static UserError show(Notebook out, HubGguf.Menu m, String prefix, String magic) {
        Table t = Table.create(m.repo() + " quantizations", StringColumn.create("quantization"), IntColumn.create("files"),
                StringColumn.create("size"), StringColumn.create("fits"));
        for (GgufQuants.Quant q : m.quants()) {
            t.stringColumn(0).append(q.name());
            t.intColumn(1).append(q.files().size());
            t.stringColumn(2).append(Units.bytes(q.bytes()));
            boolean fits = GgufQuants.fits(q.bytes(), m.freeBytes());
            t.stringColumn(3).append(q == m.fitting() ? "yes (largest that fits)" : fits ? "yes" : m.freeBytes() > 0 ? "no" : "?");
        }
        out.table(t);
        String memory = m.freeBytes() <= 0 ? "free memory unknown"
                : m.gpu() ? "free GPU memory " + Units.bytes(m.freeBytes()) + " on " + m.gpus() + (m.gpus() == 1 ? " GPU" : " GPUs")
                : "no GPU: available RAM " + Units.bytes(m.freeBytes());
        out.print(memory + (m.fitting() != null ? "; " + m.fitting().name() + " is the largest quantization that fits, with room for the context"
                : m.freeBytes() > 0 ? "; none fits with room for the context" : ""));
        String pick = m.fitting() != null ? m.fitting().name() : m.quants().get(0).name();
        return new UserError(prefix + ": " + m.repo() + " holds " + m.quants().size() + " quantizations: pick one, e.g. "
                + magic + " " + m.repo() + ":" + pick);
    }

    /** A hub failure in the magic's words (an unreachable hub: how to point at another). */
    public static UserError hubError(RuntimeException e, String prefix) {
        if (e instanceof HubException.Unreachable) {
            return new UserError(prefix + ": " + e.getMessage() + "; check the network, or point MODELSCOPE_ENDPOINT at a hub this machine reaches", e);
        }
        return new UserError(prefix + ": " + e.getMessage(), e);
    }
}
