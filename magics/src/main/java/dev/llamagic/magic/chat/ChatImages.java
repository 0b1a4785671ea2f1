package dev.llamagic.magic.chat;

import dev.llamagic.core.UserError;
import dev.llamagic.engine.chat.Chat;
import dev.llamagic.engine.chat.ChatImage;
import java.util.ArrayList;
import java.util.List;

/** {@code %chat --image}: the images read and checked, and a server that cannot read them refused in one line. */
final class ChatImages {
    private ChatImages() {}

    /** Each {@code --image} read (a file or a URL) and checked; none → an empty list and no server question. */
    static List<ChatImage> load(String prefix, List<String> args, String serverUrl, String apiKey, String who) {
        if (args == null || args.isEmpty()) return List.of();
        List<ChatImage> images = new ArrayList<>();
        for (String a : args) {
            try {
                images.add(ChatImage.of(a));
            } catch (UserError e) {
                throw new UserError(prefix + ": " + e.getMessage(), e);
            }
        }
        if (Boolean.FALSE.equals(Chat.readsImages(serverUrl, apiKey))) throw new UserError(prefix + ": " + noProjector(who));
        return images;
    }

    /** The one line for a server started without a projector. */
    static String noProjector(String who) {
        return who + " cannot read images: it was started without a vision projector (%serve the model with --mmproj FILE, "
                + "or put its mmproj-*.gguf beside it)";
    }
}
