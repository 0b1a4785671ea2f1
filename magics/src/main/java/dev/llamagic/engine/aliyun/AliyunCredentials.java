package dev.llamagic.engine.aliyun;

import com.aliyun.credentials.models.CredentialModel;
import com.aliyun.credentials.provider.AlibabaCloudCredentialsProvider;
import com.aliyun.credentials.provider.CLIProfileCredentialsProvider;
import com.aliyun.credentials.provider.EcsRamRoleCredentialProvider;
import com.aliyun.credentials.provider.OIDCRoleArnCredentialProvider;
import com.aliyun.credentials.provider.ProfileCredentialsProvider;
import com.aliyun.credentials.provider.StaticCredentialsProvider;
import com.aliyun.credentials.provider.SystemPropertiesCredentialsProvider;
import com.aliyun.credentials.provider.URLCredentialProvider;
import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Alibaba Cloud credentials, found through the standard chain of credentials-java, source by source and in its
 * order: system properties, the {@code ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN} environment,
 * OIDC (RRSA), the CLI's {@code ~/.aliyun/config.json}, {@code ~/.alibabacloud/credentials}, the
 * {@code ALIBABA_CLOUD_CREDENTIALS_URI} (how PAI-DSW hands an instance its RAM role), and the ECS RAM role from
 * the metadata service (never probed when {@code ALIBABA_CLOUD_ECS_METADATA_DISABLED=true}).
 *
 * <p>Every network source has short timeouts and the whole lookup is bounded; when nothing is found the error
 * says, in one line, which sources were tried and why each gave nothing. Secrets never leave the provider: this
 * class prints neither them nor a provider's raw answer.
 */
public final class AliyunCredentials {
    static {
        quietSdkLogging();
    }

    /**
     * Without an SLF4J provider, the SDK's own logger prints to System.out, which in a kernel is the cell: its
     * warnings would break the one-line errors, and a failed credentials refresh logs the server's raw answer.
     * Unless the user asked for SDK logs ({@code ALIBABA_CLOUD_SDK_LOG_LEVEL}), it stays silent; our own lines say
     * what went wrong.
     */
    public static void quietSdkLogging() {
        String key = "ALIBABA_CLOUD_SDK_LOG_LEVEL";
        if (System.getenv(key) == null && System.getProperty(key) == null) {
            System.setProperty(key, "5"); // LogLevel.NOT_SET: nothing printed
        }
    }

    /** The whole chain gives up after this long. */
    public static final Duration CHAIN_LIMIT = Duration.ofSeconds(30);

    private final AlibabaCloudCredentialsProvider provider;
    private final String source;

    private AliyunCredentials(AlibabaCloudCredentialsProvider provider, String source) {
        this.provider = provider;
        this.source = source;
    }

    /** Where the credentials came from ("environment ALIBABA_CLOUD_ACCESS_KEY_ID", ...), for messages. */
    public String source() {
        return source;
    }

    /** The credentials client tea-openapi signs with; it refreshes session credentials (URI, RAM role) itself. */
    public com.aliyun.credentials.Client client() {
        return new com.aliyun.credentials.Client(provider);
    }

    /** Walks the chain for {@code ctx}'s environment. */
    public static AliyunCredentials find(Context ctx) {
        return find(ctx.env(), ctx);
    }

    /** Walks the chain for the environment {@code env}; {@code ctx}, when not null, is checked for interrupts. */
    public static AliyunCredentials find(Map<String, String> env, Context ctx) {
        List<String> tried = new ArrayList<>();
        CompletableFuture<AliyunCredentials> lookup = CompletableFuture.supplyAsync(() -> walk(env, tried),
                r -> {
                    Thread t = new Thread(r, "llamagic-aliyun-credentials");
                    t.setDaemon(true);
                    t.start();
                });
        long deadline = System.nanoTime() + CHAIN_LIMIT.toNanos();
        try {
            while (true) {
                try {
                    AliyunCredentials found = lookup.get(100, TimeUnit.MILLISECONDS);
                    if (found != null) return found;
                    throw new NoCredentials(List.copyOf(tried));
                } catch (TimeoutException e) {
                    if (ctx != null) ctx.checkInterrupted();
                    else if (Thread.currentThread().isInterrupted()) throw new Interrupted();
                    if (System.nanoTime() > deadline) {
                        lookup.cancel(true);
                        throw new UserError("looking for Alibaba Cloud credentials took longer than "
                                + CHAIN_LIMIT.toSeconds() + " s (tried: " + joined(tried) + ")");
                    }
                }
            }
        } catch (InterruptedException e) {
            lookup.cancel(true);
            if (ctx != null) ctx.cancel();
            throw new Interrupted();
        } catch (ExecutionException e) {
            throw new UserError("looking for Alibaba Cloud credentials failed: "
                    + e.getCause().getClass().getSimpleName() + " (tried: " + joined(tried) + ")");
        } catch (Interrupted e) {
            lookup.cancel(true);
            throw e;
        }
    }

    /**
     * No source of the chain gave credentials. The message stays short; {@link #tried()} says what each place held,
     * for the caller to show apart.
     */
    public static final class NoCredentials extends UserError {
        private final List<String> tried;

        NoCredentials(List<String> tried) {
            super("no Alibaba Cloud credentials found" + notable(tried) + ": inside PAI-DSW the instance's RAM role arrives"
                    + " through ALIBABA_CLOUD_CREDENTIALS_URI, elsewhere set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET");
            this.tried = tried;
        }

        /** The places that held something that did not work (half a key, a failing URI): those the user must fix. */
        static String notable(List<String> tried) {
            List<String> n = tried.stream().filter(t -> !t.endsWith(": not set") && !t.endsWith(": no such file")
                    && !t.contains(": disabled")).toList();
            return n.isEmpty() ? "" : " (" + String.join("; ", n) + ")";
        }

        /** Each place looked at, with what it held ("env ALIBABA_CLOUD_ACCESS_KEY_ID: not set"). */
        public List<String> tried() {
            return tried;
        }
    }

    private static String joined(List<String> tried) {
        synchronized (tried) {
            return String.join("; ", tried);
        }
    }

    /** One source of the chain: its name, and the provider when it applies here (else why not, as an exception). */
    private record Source(String name, Supplier<AlibabaCloudCredentialsProvider> provider) {}

    private static AliyunCredentials walk(Map<String, String> env, List<String> tried) {
        for (Source s : chain(env)) {
            try {
                AlibabaCloudCredentialsProvider p = s.provider().get();
                CredentialModel m = p.getCredentials();
                if (m != null && m.getAccessKeyId() != null && !m.getAccessKeyId().isBlank()) {
                    synchronized (tried) {
                        tried.add(s.name() + ": found");
                    }
                    return new AliyunCredentials(p, s.name());
                }
                synchronized (tried) {
                    tried.add(s.name() + ": empty");
                }
            } catch (NotHere e) {
                synchronized (tried) {
                    tried.add(s.name() + ": " + e.getMessage());
                }
            } catch (RuntimeException e) {
                synchronized (tried) {
                    tried.add(s.name() + ": " + redact(e.getMessage()));
                }
            }
            if (Thread.currentThread().isInterrupted()) return null;
        }
        return null;
    }

    /** A source that does not apply (nothing set, no file): skipped without a network call. */
    private static final class NotHere extends RuntimeException {
        NotHere(String why) {
            super(why, null, false, false);
        }
    }

    static List<Source> chain(Map<String, String> env) {
        List<Source> chain = new ArrayList<>();
        chain.add(new Source("system properties alibabacloud.accessKeyId", () -> {
            if (blank(System.getProperty("alibabacloud.accessKeyId"))) throw new NotHere("not set");
            return new SystemPropertiesCredentialsProvider();
        }));
        chain.add(new Source("env ALIBABA_CLOUD_ACCESS_KEY_ID", () -> {
            String id = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID");
            String secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
            if (blank(id) && blank(secret)) throw new NotHere("not set");
            if (blank(id)) throw new NotHere("ALIBABA_CLOUD_ACCESS_KEY_SECRET set without ALIBABA_CLOUD_ACCESS_KEY_ID");
            if (blank(secret)) throw new NotHere("set without ALIBABA_CLOUD_ACCESS_KEY_SECRET");
            String token = env.get("ALIBABA_CLOUD_SECURITY_TOKEN");
            CredentialModel.Builder b = CredentialModel.builder().accessKeyId(id.trim()).accessKeySecret(secret.trim())
                    .type(blank(token) ? "access_key" : "sts").providerName("env");
            if (!blank(token)) b.securityToken(token.trim());
            return StaticCredentialsProvider.builder().credential(b.build()).build();
        }));
        chain.add(new Source("OIDC (ALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN, _OIDC_TOKEN_FILE)", () -> {
            String role = env.get("ALIBABA_CLOUD_ROLE_ARN");
            String oidc = env.get("ALIBABA_CLOUD_OIDC_PROVIDER_ARN");
            String file = env.get("ALIBABA_CLOUD_OIDC_TOKEN_FILE");
            if (blank(role) || blank(oidc) || blank(file)) throw new NotHere("not set");
            return OIDCRoleArnCredentialProvider.builder().roleArn(role).oidcProviderArn(oidc).oidcTokenFilePath(file)
                    .connectionTimeout(3000).readTimeout(5000).build();
        }));
        Path home = Path.of(System.getProperty("user.home"));
        Path cli = home.resolve(".aliyun").resolve("config.json");
        chain.add(new Source(cli.toString(), () -> {
            if ("true".equalsIgnoreCase(env.get("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"))) throw new NotHere("disabled");
            if (!Files.isRegularFile(cli)) throw new NotHere("no such file");
            return CLIProfileCredentialsProvider.builder().profileName(env.get("ALIBABA_CLOUD_PROFILE")).build();
        }));
        String credFile = env.get("ALIBABA_CLOUD_CREDENTIALS_FILE");
        Path profile = blank(credFile) ? home.resolve(".alibabacloud").resolve("credentials") : Path.of(credFile);
        chain.add(new Source(profile.toString(), () -> {
            if (!Files.isRegularFile(profile)) throw new NotHere("no such file");
            return new ProfileCredentialsProvider();
        }));
        chain.add(new Source("ALIBABA_CLOUD_CREDENTIALS_URI", () -> {
            String uri = env.get("ALIBABA_CLOUD_CREDENTIALS_URI");
            if (blank(uri)) throw new NotHere("not set");
            return URLCredentialProvider.builder().credentialsURI(uri.trim()).connectionTimeout(2000).readTimeout(5000).build();
        }));
        chain.add(new Source("ECS RAM role (metadata service)", () -> {
            if ("true".equalsIgnoreCase(env.get("ALIBABA_CLOUD_ECS_METADATA_DISABLED"))) {
                throw new NotHere("disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED");
            }
            return EcsRamRoleCredentialProvider.builder().roleName(env.get("ALIBABA_CLOUD_ECS_METADATA"))
                    .connectionTimeout(1000).readTimeout(2000).build();
        }));
        return chain;
    }

    /** A provider's error, shortened and cut before anything a server answered (which could hold a secret). */
    public static String redact(String message) {
        if (message == null || message.isBlank()) return "failed";
        String m = message.replaceAll("\\s+", " ").trim();
        for (String cut : new String[] {" result:", " result :", "{", "AccessKeySecret", "SecurityToken"}) {
            int i = m.indexOf(cut);
            if (i >= 0) m = m.substring(0, i).trim();
        }
        if (m.length() > 120) m = m.substring(0, 117) + "...";
        return m.isEmpty() ? "failed" : m;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
