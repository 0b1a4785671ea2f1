package dev.llamagic.engine.chat;

import dev.llamagic.core.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The chat sessions of one {@link dev.llamagic.core.Session} (a kernel, a CLI run), by name. */
public final class Conversations {
    private final Map<String, Conversation> byName = new LinkedHashMap<>();

    public Conversations() {}

    /** The chat sessions of {@code ctx}'s session. */
    public static Conversations of(Context ctx) {
        return ctx.session().part(Conversations.class, Conversations::new);
    }

    /** The chat session {@code name}, created empty on first use. */
    public synchronized Conversation get(String name) {
        return byName.computeIfAbsent(name, Conversation::new);
    }

    /** Every chat session so far, oldest first. */
    public synchronized List<Conversation> all() {
        return List.copyOf(byName.values());
    }
}
