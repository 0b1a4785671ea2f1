package dev.llamagic.engine.chat;

/**
 * Server-sent events, line by line: {@code data:} lines accumulate and a blank line dispatches them;
 * comment lines ({@code :keep-alive}) and other fields ({@code event:}, {@code id:}) are ignored.
 */
public final class SseParser {
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;

    /** Feeds one line (without its line ending); returns the event's data when the line completes one, else null. */
    public String line(String line) {
        if (line.isEmpty()) return dispatch();
        if (line.startsWith(":")) return null;
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) value = value.substring(1);
        if (field.equals("data")) {
            if (hasData) data.append('\n');
            data.append(value);
            hasData = true;
        }
        return null;
    }

    /** At the end of the stream: the data of an event the server did not terminate with a blank line, or null. */
    public String end() {
        return dispatch();
    }

    private String dispatch() {
        if (!hasData) return null;
        String d = data.toString();
        data.setLength(0);
        hasData = false;
        return d;
    }
}
