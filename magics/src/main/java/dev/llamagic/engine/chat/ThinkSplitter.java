package dev.llamagic.engine.chat;

/**
 * Splits a streamed answer that carries its reasoning inline ({@code <think>...</think>} at the start, as
 * servers without a reasoning parser send it) into reasoning and answer, across chunk boundaries.
 */
final class ThinkSplitter {
    private static final String OPEN = "<think>";
    private static final String CLOSE = "</think>";

    interface Sink {
        void emit(String reasoning, String content);
    }

    private enum State { START, THINK, ANSWER_START, ANSWER }

    private State state = State.START;
    private final StringBuilder pending = new StringBuilder();

    void feed(String delta, Sink sink) {
        if (delta == null || delta.isEmpty()) return;
        switch (state) {
            case ANSWER -> sink.emit("", delta);
            case START -> {
                pending.append(delta);
                String t = pending.toString().stripLeading();
                if (t.startsWith(OPEN)) {
                    state = State.THINK;
                    String rest = t.substring(OPEN.length());
                    pending.setLength(0);
                    feed(rest, sink);
                } else if (!OPEN.startsWith(t)) {
                    state = State.ANSWER;
                    String all = pending.toString();
                    pending.setLength(0);
                    sink.emit("", all);
                }
            }
            case THINK -> {
                pending.append(delta);
                int i = pending.indexOf(CLOSE);
                if (i >= 0) {
                    String reasoning = pending.substring(0, i);
                    String rest = pending.substring(i + CLOSE.length());
                    pending.setLength(0);
                    if (!reasoning.isEmpty()) sink.emit(reasoning, "");
                    state = State.ANSWER_START;
                    feed(rest, sink);
                } else {
                    int keep = Math.min(pending.length(), CLOSE.length() - 1);
                    String out = pending.substring(0, pending.length() - keep);
                    pending.delete(0, pending.length() - keep);
                    if (!out.isEmpty()) sink.emit(out, "");
                }
            }
            case ANSWER_START -> {
                String t = delta.stripLeading();
                if (!t.isEmpty()) {
                    state = State.ANSWER;
                    sink.emit("", t);
                }
            }
        }
    }

    void end(Sink sink) {
        if (pending.length() == 0) return;
        String rest = pending.toString();
        pending.setLength(0);
        if (state == State.THINK) sink.emit(rest, "");
        else sink.emit("", rest);
    }
}
