package dev.llamagic.engine.chat;

/** One chat message: role {@code system}, {@code user} or {@code assistant}, and its text. */
public record Message(String role, String content) {
    public static Message system(String text) {
        return new Message("system", text);
    }

    public static Message user(String text) {
        return new Message("user", text);
    }

    public static Message assistant(String text) {
        return new Message("assistant", text);
    }
}
