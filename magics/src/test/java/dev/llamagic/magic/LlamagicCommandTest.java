package dev.llamagic.magic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamagic.core.Context;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.Version;
import dev.llamagic.util.Html;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/** %llamagic draws its tables without Tablesaw; what it draws must stay what Tablesaw drew. */
class LlamagicCommandTest {
    @TempDir
    Path home;

    /** Keeps every block as its HTML and its text. */
    private static final class Blocks implements Notebook {
        final List<String> html = new ArrayList<>();
        final List<String> text = new ArrayList<>();
        final List<String> lines = new ArrayList<>();

        @Override
        public void print(String line) {
            lines.add(line);
        }

        @Override
        public void warn(String line) {
            lines.add(line);
        }

        @Override
        public void html(String h, String t) {
            html.add(h);
            text.add(t);
        }

        @Override
        public LiveView live(String h, String t) {
            throw new AssertionError("no live view expected");
        }
    }

    private static Table table(String name, String[] headers, List<String[]> rows) {
        Table t = Table.create(name);
        for (String h : headers) t.addColumns(StringColumn.create(h));
        for (String[] r : rows) for (int j = 0; j < r.length; j++) t.stringColumn(j).append(r[j]);
        return t;
    }

    @Test
    void theMagicListAndVersionsAreDrawnAsTablesawDrewThem() {
        Blocks nb = new Blocks();
        Commands.run(Commands.find("llamagic"), List.of(), null,
                new Context(nb, Map.of("LLAMAGIC_HOME", home.toString()), "JJava 1.0-a8", null));

        // the tables as the command built them with Tablesaw before
        List<String[]> magics = new ArrayList<>();
        for (Commands.Info i : Commands.all()) {
            magics.add(new String[] {"%" + i.name() + (i.acceptsBody() ? "  /  %%" + i.name() : ""), i.summary()});
        }
        Table expectMagics = table("llamagic magics", new String[] {"magic", "what it does"}, magics);
        Table expectVersions = table("versions", new String[] {"component", "version"}, List.of(
                new String[] {"llamagic", Version.llamagic()}, new String[] {"kernel", "JJava 1.0-a8"},
                new String[] {"Java", Version.java()}));

        assertEquals(List.of(Html.table(expectMagics), Html.table(expectVersions)), nb.html);
        assertEquals(List.of(expectMagics.printAll(), expectVersions.printAll()), nb.text);
        assertEquals(List.of("LLAMAGIC_HOME = " + home + "   (help: %<magic> --help)"), nb.lines);
    }

    private record Case(String name, String[] headers, List<String[]> rows) {}

    @Test
    void rowsMatchTablesawOnOddWidthsLongTitlesEmptyCellsAndMarkup() {
        List<Case> cases = List.of(
                new Case("t", new String[] {"a", "bb"}, List.of(new String[] {"x", "<b>&\"'"}, new String[] {"", "yyyyyyy"})),
                new Case("a title far longer than every column together", new String[] {"h"}, List.<String[]>of(new String[] {"1"})),
                new Case("", new String[] {"even", "odd"}, List.<String[]>of(new String[] {"12345", "123456"})),
                new Case("no rows", new String[] {"one", "two", "three"}, List.of()),
                new Case("wide", new String[] {"header wider than cells", "c"}, List.<String[]>of(new String[] {"v", "%s %n"})));
        for (Case c : cases) {
            LlamagicCommand.Rows mine = new LlamagicCommand.Rows(c.name(), c.headers());
            for (String[] r : c.rows()) mine.add(r);
            Table theirs = table(c.name(), c.headers(), c.rows());
            assertEquals(theirs.printAll(), mine.text(), c.name());
            assertEquals(Html.table(theirs), mine.html(), c.name());
        }
    }

    @Test
    void theCommandListIsReadOnce() {
        assertEquals(Commands.all(), Commands.all());
    }
}
