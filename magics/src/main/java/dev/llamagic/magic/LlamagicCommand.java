package dev.llamagic.magic;

import dev.llamagic.core.Version;
import picocli.CommandLine.Command;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "llamagic", mixinStandardHelpOptions = true,
        description = {"Lists the llamagic magics with a one-line summary each, and the versions in use.",
                "列出所有 llamagic 魔法命令及其说明，以及所用版本。"})
public class LlamagicCommand extends MagicCommand {

    @Override
    protected void run() {
        Table magics = Table.create("llamagic magics",
                StringColumn.create("magic"), StringColumn.create("what it does"));
        for (Commands.Info i : Commands.all()) {
            String name = "%" + i.name() + (i.acceptsBody() ? "  /  %%" + i.name() : "");
            magics.stringColumn(0).append(name);
            magics.stringColumn(1).append(i.summary());
        }
        out.table(magics);
        Table versions = Table.create("versions", StringColumn.create("component"), StringColumn.create("version"));
        versions.stringColumn(0).append("llamagic").append("kernel").append("Java");
        versions.stringColumn(1).append(Version.llamagic()).append(ctx.host()).append(Version.java());
        out.table(versions);
        out.print("LLAMAGIC_HOME = " + ctx.home() + "   (help: %<magic> --help)");
    }
}
