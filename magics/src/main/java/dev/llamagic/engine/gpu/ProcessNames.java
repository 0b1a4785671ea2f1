package dev.llamagic.engine.gpu;

import java.util.Map;

/**
 * The names llamagic gives its own processes (a served model's name for its llama-server's pid), so
 * {@code %gpu} can say which GPU memory is ours. The serve registry provides one; {@link #NONE} knows nothing.
 */
public interface ProcessNames {
    /** The name of the process with this pid, or null when it is not one of ours. */
    String nameOf(long pid);

    /** Every process of ours that is running, pid → name (for the CPU/RAM view on machines without a GPU). */
    default Map<Long, String> running() {
        return Map.of();
    }

    ProcessNames NONE = pid -> null;

    /**
     * Names from a live listing of our processes (pid → name), read afresh on each use, e.g. at merge:
     * {@code ProcessNames.of(() -> servers.all().stream().collect(Collectors.toMap(s -> s.pid(), s -> s.name())))}.
     */
    static ProcessNames of(java.util.function.Supplier<Map<Long, String>> running) {
        return new ProcessNames() {
            @Override
            public String nameOf(long pid) {
                return running.get().get(pid);
            }

            @Override
            public Map<Long, String> running() {
                return running.get();
            }
        };
    }

    /**
     * The name of {@code pid} or of its nearest named ancestor (a server started through a wrapper shows up
     * in nvidia-smi under the wrapper's child), or null.
     */
    default String nameOfTree(long pid) {
        String n = nameOf(pid);
        if (n != null) return n;
        var h = ProcessHandle.of(pid).flatMap(ProcessHandle::parent);
        for (int depth = 0; depth < 4 && h.isPresent(); depth++) {
            n = nameOf(h.get().pid());
            if (n != null) return n;
            h = h.get().parent();
        }
        return null;
    }
}
