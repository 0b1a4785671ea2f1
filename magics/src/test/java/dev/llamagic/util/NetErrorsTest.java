package dev.llamagic.util;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NetErrorsTest {
    @Test
    void javasTerseMessagesBecomeSomethingToActOn() {
        assertEquals("the host name www.modelscope.cn does not resolve (no network or DNS here?)",
                NetErrors.describe(new UnknownHostException("www.modelscope.cn")));
        assertEquals("connection refused (nothing listens there, or a firewall says no)",
                NetErrors.describe(new ConnectException("Connection refused")));
        assertEquals("no answer in time (a slow or unreachable network?)", NetErrors.describe(new SocketTimeoutException("timeout")));
        assertEquals("the host name h does not resolve (no network or DNS here?)",
                NetErrors.describe(new IOException("wrapped", new UnknownHostException("h"))));
        assertEquals("disk on fire", NetErrors.describe(new IOException("disk on fire\nmore")));
    }
}
