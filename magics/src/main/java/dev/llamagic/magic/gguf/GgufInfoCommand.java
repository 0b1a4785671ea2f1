package dev.llamagic.magic.gguf;

import dev.llamagic.engine.gguf.FileTypes;
import dev.llamagic.engine.gguf.Gguf;
import dev.llamagic.engine.gguf.GgufFile;
import dev.llamagic.engine.gguf.GgufTensorInfo;
import dev.llamagic.engine.gguf.GgufValue;
import dev.llamagic.engine.gguf.ModelName;

import dev.llamagic.magic.Commands;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.core.UserError;
import dev.llamagic.util.Units;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "gguf-info", mixinStandardHelpOptions = true,
        description = {"Shows a GGUF file's metadata, tensors (name, type, shape, bytes) and parameter count.",
                "显示 GGUF 文件的元数据、张量（名称、类型、形状、字节数）和参数量。"})
public class GgufInfoCommand extends MagicCommand {

    @Parameters(index = "0", paramLabel = "GGUF", description = "the .gguf file")
    Path file;

    @Option(names = "--array-items", paramLabel = "N", defaultValue = "5", description = "array elements shown before '…' (default ${DEFAULT-VALUE})")
    int arrayItems;

    @Option(names = "--no-tensors", description = "leave out the tensor table")
    boolean noTensors;

    @Override
    protected void run() throws Exception {
        String prefix = Commands.prefix("gguf-info", body, ctx);
        GgufFile g;
        try {
            g = Gguf.read(file);
        } catch (UserError e) {
            throw new UserError(prefix + ": " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw new UserError(prefix + ": cannot read " + file + " (" + e.getMessage() + ")", e);
        }
        Table s = Table.create("GGUF " + g.path().getFileName(), StringColumn.create("what"), StringColumn.create("value"));
        row(s, "file", g.path().toAbsolutePath().toString());
        row(s, "size", Units.bytes(g.fileSize()));
        row(s, "GGUF version", String.valueOf(g.version()));
        row(s, "architecture", String.valueOf(g.architecture()));
        if (g.get("general.name") != null) row(s, "name", g.string("general.name"));
        if (g.get("general.file_type") != null) row(s, "file type", FileTypes.name(g.get("general.file_type").asLong()));
        row(s, "tensors", String.valueOf(g.tensors().size()));
        row(s, "parameters", String.format(Locale.ROOT, "%,d (%s)", g.parameterCount(), ModelName.sizeLabel(g.parameterCount())));
        row(s, "tensor data", Units.bytes(g.tensorBytes()) + String.format(Locale.ROOT, " (%.2f bits per weight)",
                g.parameterCount() == 0 ? 0.0 : g.tensorBytes() * 8.0 / g.parameterCount()));
        row(s, "metadata keys", String.valueOf(g.metadata().size()));
        out.table(s);

        Table m = Table.create("metadata", StringColumn.create("key"), StringColumn.create("type"), StringColumn.create("value"));
        for (Map.Entry<String, GgufValue> e : g.metadata().entrySet()) {
            GgufValue v = e.getValue();
            m.stringColumn(0).append(e.getKey());
            m.stringColumn(1).append(v.type() == GgufValue.Type.ARRAY
                    ? "array[" + v.elemType().name().toLowerCase(Locale.ROOT) + "]" : v.type().name().toLowerCase(Locale.ROOT));
            m.stringColumn(2).append(v.display(arrayItems));
        }
        out.table(m);

        if (!noTensors) {
            Table t = Table.create("tensors", StringColumn.create("name"), StringColumn.create("type"),
                    StringColumn.create("shape"), LongColumn.create("bytes"));
            for (GgufTensorInfo ti : g.tensors()) {
                t.stringColumn(0).append(ti.name());
                t.stringColumn(1).append(ti.type().name());
                t.stringColumn(2).append(ti.shape());
                t.longColumn(3).append(ti.bytes());
            }
            out.table(t);
        }
    }

    private static void row(Table t, String k, String v) {
        t.stringColumn(0).append(k);
        t.stringColumn(1).append(v);
    }
}
