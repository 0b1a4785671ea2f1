package dev.llamagic.engine.aliyun;

import java.util.Locale;
import java.util.Map;

/**
 * Resolving where an Alibaba Cloud API is, shared by the EAS and DSW settings: options first, then the environment
 * PAI-DSW sets ({@code REGION} or the legacy {@code dsw_region}, {@code PAI_WORKSPACE_ID} /
 * {@code PAI_AI_WORKSPACE_ID}), the variables Alibaba's own Python SDK reads.
 */
public final class ApiSettings {
    private ApiSettings() {}

    public static String region(String option, Map<String, String> env) {
        return first(option, env.get("REGION"), env.get("dsw_region"), env.get("ALIBABA_CLOUD_REGION_ID"));
    }

    public static String workspace(String option, Map<String, String> env) {
        return first(option, env.get("PAI_WORKSPACE_ID"), env.get("PAI_AI_WORKSPACE_ID"));
    }

    /** "HTTPS" (the default) or "HTTP"; anything else is an {@link IllegalArgumentException}. */
    public static String protocol(String protocol) {
        String p = protocol == null || protocol.isBlank() ? "HTTPS" : protocol.trim().toUpperCase(Locale.ROOT);
        if (!p.equals("HTTPS") && !p.equals("HTTP")) {
            throw new IllegalArgumentException("protocol must be https or http, not '" + p.toLowerCase(Locale.ROOT) + "'");
        }
        return p;
    }

    /** The first value that is not blank, trimmed; null when none. */
    public static String first(String... values) {
        for (String v : values) if (v != null && !v.isBlank()) return v.trim();
        return null;
    }

    public static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
