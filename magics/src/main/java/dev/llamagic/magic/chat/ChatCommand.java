package dev.llamagic.magic.chat;

import dev.llamagic.engine.chat.Chat;
import dev.llamagic.engine.chat.ChatClient;
import dev.llamagic.engine.chat.ChatRequest;
import dev.llamagic.engine.chat.ChatResult;
import dev.llamagic.engine.chat.ContextFit;
import dev.llamagic.engine.chat.Conversation;
import dev.llamagic.engine.chat.Conversations;
import dev.llamagic.engine.chat.Message;

import dev.llamagic.magic.Commands;
import dev.llamagic.util.Html;
import dev.llamagic.core.Interrupted;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.Servers;
import dev.llamagic.magic.serve.ServeMessages;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chats with a llama-server started by the serve magic (or any OpenAI-compatible endpoint), streaming the answer into the cell.",
                "与 serve 魔法启动的 llama-server（或任意 OpenAI 兼容接口）对话，回答流式显示在单元格中。"},
        footer = {"", "Examples:",
                "  %%chat \"What is the capital of France?\"",
                "  %%chat --no-think --max-tokens 200 \"Summarise flash attention in one sentence.\"",
                "  %%%%chat --session review --system \"You review Java code.\"   (the cell body is the message)",
                "  %%chat --url https://api.example.com/v1 --api-key KEY --model some-model \"Hello\"",
                "Consecutive chats in a session form one conversation; --new starts it afresh.",
                "A conversation that outgrows a llama-server's context is sent without its oldest turns (the system prompt",
                "and the new message stay; the numbers line says so), and the answer is limited to what is left."})
public class ChatCommand extends MagicCommand {

    @Parameters(arity = "0..*", paramLabel = "MESSAGE", description = "the message (quote it); %%%%chat takes the cell body")
    List<String> words = new ArrayList<>();

    @Option(names = "--server", paramLabel = "NAME", description = "a server from %%serve --list (default: the latest one)")
    String server;

    @Option(names = "--url", description = "any OpenAI-compatible endpoint instead (http://host:port or .../v1)")
    String url;

    @Option(names = "--eas", paramLabel = "NAME", description = "a PAI-EAS service (%%eas list): endpoint and token from the EAS API, never shown")
    String eas;

    @Option(names = "--api-key", description = "API key for --url (a %%serve server's own key is used automatically)")
    String apiKey;

    @Option(names = "--model", description = "model id to ask for (default: the first one /v1/models lists); "
            + "with a %%serve --router server, the model to answer (the file name without .gguf)")
    String model;

    @Option(names = "--session", description = "conversation name (default: default)")
    String session;

    @Option(names = "--new", description = "start the conversation afresh")
    boolean fresh;

    @Option(names = "--system", description = "system prompt for the conversation")
    String system;

    @Option(names = "--no-think", description = "Qwen3: answer without thinking (chat_template_kwargs enable_thinking=false)")
    boolean noThink;

    @Option(names = "--show-thinking", description = "show the reasoning expanded (it is collapsed by default)")
    boolean showThinking;

    @Option(names = "--temp", description = "temperature")
    Double temp;

    @Option(names = "--top-k", description = "top-k")
    Integer topK;

    @Option(names = "--top-p", description = "top-p")
    Double topP;

    @Option(names = "--min-p", description = "min-p")
    Double minP;

    @Option(names = "--max-tokens", description = "stop after this many generated tokens")
    Integer maxTokens;

    @Option(names = "--seed", description = "sampling seed")
    Long seed;

    @Option(names = "--history", description = "show the conversation so far")
    boolean history;

    @Option(names = "--image", paramLabel = "PATH|URL", description = "an image for a vision model (a file or an http(s) URL; repeatable); "
            + "the server needs its projector (%%serve --mmproj)")
    List<String> imageArgs = new ArrayList<>();

    @Override
    public boolean acceptsBody() {
        return true;
    }

    @Override
    protected void run() {
        String p = Commands.prefix("chat", body, ctx);
        if (body != null && !words.isEmpty()) {
            throw new UserError(p + ": the message is the cell body; unexpected '" + words.get(0) + "' on the first line");
        }
        String message = body != null ? body.strip() : String.join(" ", words).strip();
        if (maxTokens != null && maxTokens <= 0) throw new UserError(p + ": --max-tokens must be positive");
        String sessionName = session == null ? Conversation.DEFAULT : session;
        Conversation conv = Conversations.of(ctx).get(sessionName);
        if (fresh) conv.reset(system);
        else if (system != null) conv.system(system);
        if (history) {
            showHistory(conv);
            if (message.isEmpty()) return;
        }
        if (message.isEmpty()) {
            if (fresh || system != null) {
                out.print("session '" + sessionName + "': " + (fresh ? "new conversation" : "system prompt set")
                        + (conv.system() == null ? "" : " (system: " + abbreviate(conv.system()) + ")"));
                return;
            }
            throw new UserError(p + ": give a message: " + p + " \"your question\" (or %%chat with the message as the cell body)");
        }

        String serverUrl;
        String key;
        String target;
        String who;
        String authorization = null;
        boolean router = false;
        if (eas != null) {
            if (url != null || server != null) throw new UserError(p + ": --eas, --server or --url, one of them");
            dev.llamagic.engine.eas.EasAccess access = dev.llamagic.magic.eas.EasTargets.access(ctx, eas);
            serverUrl = Chat.baseUrl(access.url());
            key = null;
            authorization = access.authorization();
            target = "eas:" + eas;
            who = "EAS " + eas + " @ " + access.url();
        } else if (url != null) {
            if (server != null) throw new UserError(p + ": --server or --url, not both");
            serverUrl = Chat.baseUrl(url);
            key = apiKey;
            target = serverUrl;
            who = target;
        } else {
            Servers servers = Servers.of(ctx);
            LlamaServer s = server != null ? ServeMessages.get(servers, server) : servers.latest().orElseThrow(() -> new UserError(
                    "no server is running: start one with %serve <model.gguf> (or chat with any endpoint: --url URL)"));
            ServeMessages.requireReady(s);
            serverUrl = s.url();
            key = apiKey != null ? apiKey : s.apiKey();
            target = s.name();
            who = s.name() + " @ " + s.baseUrl();
            router = s.spec().router();
        }
        if (conv.target() != null && !conv.target().equals(target) && conv.turns() > 0) {
            out.print("note: session '" + sessionName + "' continues with " + target + " (it was with " + conv.target()
                    + "; --new starts afresh)");
        }

        List<dev.llamagic.engine.chat.ChatImage> images = ChatImages.load(p, imageArgs, serverUrl, key, who);
        ChatRequest req = ChatRequest.to(serverUrl).images(images).apiKey(key).authorization(authorization)
                .messages(conv.messagesFor(message)).model(model)
                .temperature(temp).topK(topK).topP(topP).minP(minP).maxTokens(maxTokens).seed(seed).noThink(noThink)
                .fitContext(true).build();
        ChatView view = new ChatView(out, who, showThinking, !"terminal".equals(ctx.host()));
        view.images(images);
        ChatResult result;
        try {
            result = Chat.stream(ctx, req, view::delta);
        } catch (Interrupted e) {
            ctx.cancel();
            throw new Interrupted(p);
        } catch (UserError e) {
            String why = e instanceof ChatClient.Refused ? e.getMessage() + ": pass the server's key with --api-key"
                    : e instanceof ContextFit.TooLong t ? tooLong(t)
                    : !images.isEmpty() && ChatClient.noImageSupport(e.getMessage()) ? ChatImages.noProjector(who) : e.getMessage();
            view.fail(why);
            throw new UserError(p + ": " + why);
        }
        conv.record(message, result.text(), target);
        if (router && result.model() != null) view.who(who + " · model " + result.model());
        view.finish(result);
    }

    /** The context overflow in this magic's words: which option helps. */
    static String tooLong(ContextFit.TooLong t) {
        return t.getMessage() + " (shorten it, lower --max-tokens, or serve with a larger --ctx)";
    }

    private void showHistory(Conversation conv) {
        StringBuilder html = new StringBuilder("<div class=\"llamagic-chat-history\"><b>session '")
                .append(Html.escape(conv.name())).append("'</b> (").append(conv.turns()).append(" exchanges)");
        StringBuilder text = new StringBuilder("session '" + conv.name() + "' (" + conv.turns() + " exchanges)\n");
        if (conv.system() != null) {
            html.append("<div><i>system:</i> ").append(Html.escape(conv.system())).append("</div>");
            text.append("system: ").append(conv.system()).append('\n');
        }
        for (Message m : conv.history()) {
            html.append("<div><b>").append(m.role()).append(":</b> ")
                    .append(m.role().equals("assistant") ? Markdown.toHtml(m.content()) : Html.escape(m.content())).append("</div>");
            text.append(m.role()).append(": ").append(m.content()).append('\n');
        }
        html.append("</div>");
        out.html(html.toString(), text.toString());
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() > 60 ? one.substring(0, 60) + "…" : one;
    }
}
