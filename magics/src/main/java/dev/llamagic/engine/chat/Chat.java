package dev.llamagic.engine.chat;

import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;

/**
 * The chat door: one request to any OpenAI-compatible server (a llama-server's {@code url()}, or any other), its
 * answer streamed and gathered; interrupting the cell ({@code ctx}) cancels it and the server stops generating.
 *
 * <pre>{@code
 * var s = Servers.of(ctx).get("tiny");
 * var r = Chat.ask(ctx, ChatRequest.to(s.url()).apiKey(s.apiKey()).user("Hello").maxTokens(20).build());
 * r.text(); r.reasoning(); r.timings(); r.ttftMs(); r.clientTokensPerSecond();
 * }</pre>
 */
public final class Chat {
    private Chat() {}

    /** Sends {@code request} to its URL and returns the whole answer. */
    public static ChatResult ask(Context ctx, ChatRequest request) {
        return stream(ctx, request, null);
    }

    /**
     * One question about images (files, http(s) URLs or data URLs), as a vision model served with its projector
     * reads them: {@code Chat.ask(ctx, url, "What is in the picture?", "cat.png")}.
     */
    public static ChatResult ask(Context ctx, String url, String text, String... images) {
        ChatRequest.Builder b = ChatRequest.to(url).user(text);
        for (String i : images) b.image(i);
        return ask(ctx, b.build());
    }

    /** Whether the server at {@code url} reads images (llama-server's {@code /props}); null when it does not say. */
    public static Boolean readsImages(String url, String apiKey) {
        return new ChatClient(ChatClient.normalize(url), apiKey).readsImages();
    }

    /** As {@link #ask}, handing the answer's pieces to {@code listener} (may be null) as they arrive. */
    public static ChatResult stream(Context ctx, ChatRequest request, ChatClient.Listener listener) {
        ChatClient client = client(request);
        if (!request.fitContext()) return client.stream(request, listener, ctx::cancelled);
        for (int attempt = 0; ; attempt++) {
            ContextFit.Result fitted = ContextFit.fit(client, request);
            ctx.checkInterrupted();
            if (fitted == null) return client.stream(request, listener, ctx::cancelled);
            try {
                return client.stream(fitted.request(), listener, ctx::cancelled).withFit(fitted.fitted());
            } catch (UserError e) {
                // the server's context is not what was remembered (restarted with another size): ask it again, once
                if (attempt > 0 || e.getMessage() == null || !e.getMessage().contains("exceeds the available context size")) throw e;
                ContextFit.forget(client, request);
            }
        }
    }

    /** A client for the request's URL and API key. */
    static ChatClient client(ChatRequest request) {
        if (request.url() == null) throw new IllegalArgumentException("the chat request has no URL: build it with ChatRequest.to(url)");
        return new ChatClient(request.url(), request.apiKey(), request.authorization());
    }

    /**
     * The OpenAI base URL (ending in {@code /v1}) that {@code url} means: {@code http://h:p},
     * {@code http://h:p/v1/chat/completions} and {@code h:p} all give {@code http://h:p/v1}; a one-line error when it
     * is not a URL.
     */
    public static String baseUrl(String url) {
        return ChatClient.normalize(url);
    }
}
