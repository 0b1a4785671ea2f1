package dev.llamagic.magic.serve;

import dev.llamagic.core.Context;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.serve.Projectors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code %serve}'s projector options for vision-language models: {@code --mmproj FILE}, else the {@code mmproj-*.gguf}
 * lying beside the model (unless {@code --no-mmproj}); a text-only serve of a vision model says which projector it
 * would use. The projector goes to llama-server as its own {@code --mmproj} flag, after the raw flags.
 */
final class VisionServe {
    private VisionServe() {}

    /**
     * The raw flags with the projector's added (the same list when there is none); notes printed on {@code out};
     * one-line errors for a projector that is missing, is not one, does not match the model, or a build without
     * multimodal support.
     */
    static List<String> withProjector(Context ctx, Notebook out, String prefix, Path model, Path mmproj, boolean noMmproj,
                                      List<String> raw) {
        if (raw.contains("--mmproj") || raw.contains("-mm") || raw.stream().anyMatch(a -> a.startsWith("--mmproj="))) return raw;
        if (mmproj != null && noMmproj) throw new UserError(prefix + ": --mmproj and --no-mmproj together: choose one");
        Path chosen = mmproj;
        if (chosen != null) {
            Projectors.check(chosen.toAbsolutePath(), model);
        } else {
            Path beside = Projectors.besideMatching(model);
            boolean vision = Projectors.isVisionModel(model);
            if (noMmproj) {
                if (vision) {
                    out.print("text only: images need a projector" + (beside != null ? "; this model's is " + beside.getFileName()
                            + " beside it (drop --no-mmproj to use it)" : " (pass --mmproj FILE)"));
                }
                return raw;
            }
            if (beside == null) {
                if (vision) {
                    out.print("text only: no mmproj-*.gguf projector for this vision model beside it (pass --mmproj FILE; "
                            + "%to-gguf writes one with the model)");
                }
                return raw;
            }
            chosen = beside;
            out.print("projector: " + beside.getFileName() + " (beside the model; images enabled; --no-mmproj serves text only)");
        }
        if (!Projectors.serverSupports(ctx)) {
            throw new UserError(prefix + ": this llama.cpp build's llama-server has no --mmproj (no multimodal support): "
                    + "rebuild it with %build-llama from a newer llama.cpp");
        }
        List<String> flags = new ArrayList<>(raw);
        flags.add("--mmproj");
        flags.add(chosen.toAbsolutePath().toString());
        return flags;
    }
}
