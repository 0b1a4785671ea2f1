package dev.llamagic.util;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLException;

/** Why a network call failed, in words a user can act on (Java's own messages are often just a host name). */
public final class NetErrors {
    private NetErrors() {}

    public static String describe(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException u) {
                return "the host name " + (u.getMessage() == null ? "" : u.getMessage() + " ") + "does not resolve (no network or DNS here?)";
            }
            if (t instanceof ConnectException) return "connection refused (nothing listens there, or a firewall says no)";
            if (t instanceof NoRouteToHostException) return "no route to the host (no network here?)";
            if (t instanceof SocketTimeoutException) return "no answer in time (a slow or unreachable network?)";
            if (t instanceof SSLException s) return "TLS failed: " + firstLine(s.getMessage());
            if (t instanceof InterruptedIOException) return "interrupted";
        }
        String m = firstLine(e.getMessage());
        return m.isEmpty() ? e.getClass().getSimpleName() : m;
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
