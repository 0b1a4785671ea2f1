package dev.llamagic.engine.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * A named chat session: an optional system prompt and the exchanges so far. Each request carries the whole
 * history, so consecutive {@code %chat} cells form one conversation (llama-server reuses its KV cache for the
 * common prefix). Thread-safe.
 */
public final class Conversation {
    public static final String DEFAULT = "default";

    private final String name;
    private String system;
    private final List<Message> history = new ArrayList<>();
    private String target;

    public Conversation(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public synchronized String system() {
        return system;
    }

    /** Where the last exchange went (a server name or URL), null before the first. */
    public synchronized String target() {
        return target;
    }

    /** Forgets the history; sets the system prompt (null: none). */
    public synchronized void reset(String systemPrompt) {
        history.clear();
        system = systemPrompt == null || systemPrompt.isBlank() ? null : systemPrompt;
    }

    /** Sets the system prompt, keeping the history. */
    public synchronized void system(String systemPrompt) {
        system = systemPrompt == null || systemPrompt.isBlank() ? null : systemPrompt;
    }

    /** The messages a request for {@code userMessage} sends: system prompt, history, the new message. */
    public synchronized List<Message> messagesFor(String userMessage) {
        List<Message> m = new ArrayList<>();
        if (system != null) m.add(Message.system(system));
        m.addAll(history);
        m.add(Message.user(userMessage));
        return m;
    }

    /** Records a finished exchange. */
    public synchronized void record(String userMessage, String answer, String target) {
        history.add(Message.user(userMessage));
        history.add(Message.assistant(answer));
        this.target = target;
    }

    /** The exchanges so far (user and assistant messages, without the system prompt). */
    public synchronized List<Message> history() {
        return List.copyOf(history);
    }

    public synchronized int turns() {
        return history.size() / 2;
    }
}
