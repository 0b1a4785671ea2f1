package dev.llamagic.engine.eas;

/**
 * Where to send requests to a service and the token that lets them in. The token goes into the
 * {@code Authorization} header as it is (EAS's convention); {@link #toString()} never shows it.
 */
public final class EasAccess {
    private final String service;
    private final String url;
    private final String token;

    EasAccess(String service, String url, String token) {
        this.service = service;
        this.url = url;
        this.token = token;
    }

    public String service() {
        return service;
    }

    /** The service endpoint (its OpenAI-compatible API is under {@code /v1}). */
    public String url() {
        return url;
    }

    /** The value of the {@code Authorization} header; null when the service takes requests without one. */
    public String authorization() {
        return token;
    }

    @Override
    public String toString() {
        return "EasAccess[" + service + " @ " + url + (token == null ? "" : ", token hidden") + "]";
    }
}
