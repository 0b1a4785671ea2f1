package dev.llamagic.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** llamagic's own version (from the build), and the versions line every command's --version prints. */
public final class Version {
    private Version() {}

    public static String llamagic() {
        try (InputStream in = Version.class.getResourceAsStream("/dev/llamagic/version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            return "dev";
        }
    }

    public static String java() {
        return System.getProperty("java.vendor", "") + " " + Runtime.version();
    }

    public static String line(String host) {
        return "llamagic " + llamagic() + " · " + host + " · Java " + Runtime.version();
    }
}
