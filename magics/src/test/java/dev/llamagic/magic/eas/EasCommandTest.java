package dev.llamagic.magic.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import dev.llamagic.magic.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** %eas without the network: the dry run, the refusals, and the words the magic adds to the engine's lines. */
class EasCommandTest {
    @TempDir
    Path home;

    Context ctx(RecordingNotebook nb, Map<String, String> extra) {
        Map<String, String> e = new HashMap<>(extra);
        e.put("LLAMAGIC_HOME", home.toString());
        e.put("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
        return new Context(nb, e, "JJava test", null);
    }

    @Test
    void dryRunPrintsTheServiceJsonAndThePolicyAndNeedsNoCredentials() throws Exception {
        Path gguf = Files.writeString(home.resolve("tiny-Q8_0.gguf"), "GGUF");
        RecordingNotebook nb = new RecordingNotebook();
        Commands.run(Commands.find("eas"), List.of("deploy", "tiny_q8", gguf.toString(), "--oss", "oss://bkt/models/",
                "--max-instances", "3", "--dry-run", "--region", "cn-shanghai"), null, ctx(nb, Map.of()));
        String all = String.join("\n", nb.lines) + "\n" + String.join("\n", nb.blocks);
        assertTrue(all.contains("\"instance_type\" : \"ecs.gn7i-c8g1.2xlarge\""), all);
        assertTrue(all.contains("llama-server -m /models/tiny-Q8_0.gguf"), all);
        assertTrue(all.contains("\"eas:CreateService\""), all);
        assertTrue(all.contains("the model must be at oss://bkt/models/tiny-Q8_0.gguf (upload it first: ossutil cp "), all);
    }

    @Test
    void refusalsAreOneLine() {
        RecordingNotebook nb = new RecordingNotebook();
        String line = assertThrows(UserError.class, () -> Commands.run(Commands.find("eas"), List.of("delete", "svc"), null,
                ctx(nb, Map.of()))).getMessage();
        assertEquals("%eas delete: not deleted: deleting svc removes the service, its endpoint and its token; run"
                + " %eas delete svc --yes to confirm", line);
        String storage = assertThrows(UserError.class, () -> Commands.run(Commands.find("eas"),
                List.of("deploy", "svc", home.toString() + "/nope.gguf"), null, ctx(nb, Map.of()))).getMessage();
        assertTrue(storage.startsWith("%eas deploy: no such model: "), storage);
        String region = assertThrows(UserError.class, () -> Commands.run(Commands.find("eas"), List.of("list"), null,
                ctx(nb, Map.of()))).getMessage();
        assertEquals("%eas list: no region known: set REGION (e.g. cn-hangzhou, as PAI-DSW does inside an instance)"
                + " or pass --region", region);
        assertEquals("did you mean qwen3_q4?", EasCommand.suggestion("qwen3_q5", List.of("other", "qwen3_q4")));
        assertEquals("services there: a, b", EasCommand.suggestion("zzzzzz", List.of("a", "b")));
    }

    @Test
    void deployWithoutStorageSaysWhichOptions() throws Exception {
        Path gguf = Files.writeString(home.resolve("m.gguf"), "GGUF");
        String line = assertThrows(UserError.class, () -> Commands.run(Commands.find("eas"),
                List.of("deploy", "svc", gguf.toString(), "--dry-run"), null, ctx(new RecordingNotebook(), Map.of()))).getMessage();
        assertEquals("%eas deploy: say where the model is stored for the service: OSS (oss://bucket/dir/) or NAS"
                + " (server:/dir), one of them (--oss oss://bucket/dir/ or --nas server:/dir)", line);
    }
}
