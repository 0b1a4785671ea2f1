// Streaming client vs llama-server's own numbers on the same requests: tokens/s seen by llamagic's ChatClient
// (first → last token arrival, counting n-1 tokens like the server) against the server's predicted_per_second.
// Run through chat_stream.sh (java single-file source launch on the llamagic jar).
import dev.llamagic.engine.chat.Chat;
import dev.llamagic.engine.chat.ChatRequest;
import dev.llamagic.engine.chat.ChatResult;
import dev.llamagic.engine.chat.Message;
import dev.llamagic.cli.TerminalNotebook;
import dev.llamagic.core.Context;
import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.ServerSpec;
import dev.llamagic.engine.serve.Servers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

public class ChatStreamBench {
    public static void main(String[] a) {
        Path model = Path.of(a[0]);
        int requests = a.length > 1 ? Integer.parseInt(a[1]) : 10;
        int maxTokens = a.length > 2 ? Integer.parseInt(a[2]) : 256;
        List<String> extra = a.length > 3 ? List.of(a).subList(3, a.length) : List.of();
        Context ctx = Context.of(TerminalNotebook.system(), "terminal");
        LlamaServer s = Servers.start(ctx, ServerSpec.builder(model).name("bench").extraFlags(extra).build());
        try {
            // warm-up, not counted
            Chat.ask(ctx, ChatRequest.to(s.url()).user("warm up").maxTokens(16).build());
            List<Double> ratios = new ArrayList<>();
            double sumClient = 0;
            double sumServer = 0;
            System.out.println("req  tokens  server_tok/s  client_tok/s  client/server  ttft_ms");
            for (int i = 0; i < requests; i++) {
                ChatRequest req = ChatRequest.to(s.url()).message(Message.user("Tell me a long story, number " + i + "."))
                        .maxTokens(maxTokens).temperature(1.0).seed((long) i).noThink(true).build();
                ChatResult r = Chat.ask(ctx, req);
                double server = r.serverTokensPerSecond();
                double client = r.clientTokensPerSecond();
                ratios.add(client / server);
                sumClient += client;
                sumServer += server;
                System.out.printf(Locale.ROOT, "%3d  %6d  %12.1f  %12.1f  %12.1f%%  %7.1f%n", i, r.generatedTokens(), server, client,
                        100 * client / server, r.ttftMs());
            }
            double mean = ratios.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double min = ratios.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
            List<Double> sorted = ratios.stream().sorted().toList();
            double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                    : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
            System.out.printf(Locale.ROOT, "mean server %.1f tok/s, mean client %.1f tok/s: client/server median %.2f%%, mean %.2f%%, worst %.2f%%%n",
                    sumServer / requests, sumClient / requests, 100 * median, 100 * mean, 100 * min);
        } finally {
            Servers.of(ctx).close();
        }
    }
}
