package dev.llamagic.core;

import java.util.ArrayList;
import java.util.List;

/** A notebook that keeps everything it is sent, for tests of what commands report. */
public final class RecordingNotebook implements Notebook {
    public final List<String> lines = new ArrayList<>();
    public final List<String> warnings = new ArrayList<>();
    public final List<String> blocks = new ArrayList<>();
    public final List<List<String>> lives = new ArrayList<>();

    @Override
    public synchronized void print(String line) {
        lines.add(line);
    }

    @Override
    public synchronized void warn(String line) {
        warnings.add(line);
    }

    @Override
    public synchronized void html(String html, String text) {
        blocks.add(text);
    }

    @Override
    public synchronized LiveView live(String html, String text) {
        List<String> states = new ArrayList<>();
        states.add(text);
        lives.add(states);
        return (h, t) -> {
            synchronized (RecordingNotebook.this) {
                states.add(t);
            }
        };
    }

    /** The latest state of the first live view (a progress bar): what the cell shows now. */
    public synchronized String lastLive() {
        List<String> states = lives.get(0);
        return states.get(states.size() - 1);
    }

    public synchronized String all() {
        return String.join("\n", lines) + "\n" + String.join("\n", blocks) + "\n" + String.join("\n", warnings);
    }
}
