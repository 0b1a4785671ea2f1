package dev.llamagic.magic;

import dev.llamagic.core.Context;
import dev.llamagic.core.Notebook;

import java.util.concurrent.Callable;

/**
 * A command: a picocli {@code @Command} class (its name is the magic's name, its first description line the
 * summary {@code %llamagic} lists), registered in {@code META-INF/services/dev.llamagic.magic.MagicCommand}.
 * A fresh instance runs each invocation.
 */
public abstract class MagicCommand implements Callable<Integer> {
    protected Context ctx;
    protected Notebook out;
    /** The cell body when invoked as {@code %%name}; null as a line magic. */
    protected String body;

    final void bind(Context ctx, String body) {
        this.ctx = ctx;
        this.out = ctx.notebook();
        this.body = body;
    }

    /** Whether {@code %%name} (a cell magic taking the cell body) is offered too. */
    public boolean acceptsBody() {
        return false;
    }

    protected abstract void run() throws Exception;

    @Override
    public final Integer call() throws Exception {
        run();
        return 0;
    }
}
