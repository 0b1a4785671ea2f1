package dev.llamagic.engine.chat;

import dev.llamagic.core.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * An image for a vision model, sent as an OpenAI {@code image_url} content part holding a base64 data URL: read
 * from a file or downloaded from an http(s) URL, and checked to be PNG, JPEG, WebP or GIF by its first bytes.
 *
 * @param source what the user named (a path or a URL)
 * @param mime   {@code image/png}, {@code image/jpeg}, {@code image/webp} or {@code image/gif}
 * @param bytes  the image file's bytes
 */
public record ChatImage(String source, String mime, byte[] bytes) {
    /** The largest image read (llama-server decodes it whole). */
    public static final long MAX_BYTES = 32L << 20;

    /** A file path, or an http(s) URL (downloaded here), or a {@code data:image/...;base64,} URL. */
    public static ChatImage of(String pathOrUrl) {
        String s = pathOrUrl.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) return download(s);
        if (lower.startsWith("data:")) {
            int comma = s.indexOf(',');
            if (comma < 0 || !lower.substring(0, comma).endsWith(";base64")) throw new UserError("not a base64 data URL: " + abbreviate(s));
            byte[] b;
            try {
                b = Base64.getDecoder().decode(s.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                throw new UserError("not a base64 data URL: " + abbreviate(s));
            }
            return checked("a data URL", b);
        }
        return file(Path.of(s.equals("~") || s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s));
    }

    /** An image file; one-line errors when it is missing, too large or not an image. */
    public static ChatImage file(Path p) {
        Path f = p.toAbsolutePath();
        if (!Files.exists(f)) throw new UserError("no such image: " + f);
        if (!Files.isRegularFile(f)) throw new UserError(f + " is not a file");
        byte[] b;
        try {
            if (Files.size(f) > MAX_BYTES) throw new UserError(f + " is too large for an image (over 32 MiB)");
            b = Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UserError("cannot read " + f + ": " + e.getMessage());
        }
        return checked(f.toString(), b);
    }

    private static ChatImage download(String url) {
        OkHttpClient http = new OkHttpClient.Builder().connectTimeout(Duration.ofSeconds(15)).readTimeout(Duration.ofSeconds(60)).build();
        try (Response r = http.newCall(new Request.Builder().url(url).build()).execute()) {
            if (!r.isSuccessful()) throw new UserError("could not download the image " + url + " (HTTP " + r.code() + ")");
            ResponseBody body = r.body();
            if (body == null) throw new UserError("could not download the image " + url + " (no body)");
            try (InputStream in = body.byteStream()) {
                byte[] b = in.readNBytes((int) MAX_BYTES + 1);
                if (b.length > MAX_BYTES) throw new UserError(url + " is too large for an image (over 32 MiB)");
                return checked(url, b);
            }
        } catch (IllegalArgumentException e) {
            throw new UserError("not a URL: " + url);
        } catch (IOException e) {
            throw new UserError("could not download the image " + url + " (" + e.getMessage() + ")");
        }
    }

    private static ChatImage checked(String source, byte[] b) {
        String mime = sniff(b);
        if (mime == null) {
            throw new UserError(source + " is not an image (PNG, JPEG, WebP or GIF" + (b.length == 0 ? "; it is empty" : "") + ")");
        }
        return new ChatImage(source, mime, b);
    }

    /** The image type by its magic bytes, or null when it is none of PNG, JPEG, WebP, GIF. */
    public static String sniff(byte[] b) {
        if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == 0x0D && b[5] == 0x0A
                && b[6] == 0x1A && b[7] == 0x0A) return "image/png";
        if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) return "image/jpeg";
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E'
                && b[10] == 'B' && b[11] == 'P') return "image/webp";
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8' && (b[4] == '7' || b[4] == '9') && b[5] == 'a') {
            return "image/gif";
        }
        return null;
    }

    /** {@code data:<mime>;base64,...}: what the content part carries. */
    public String dataUrl() {
        return "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    /** The short name shown to the user: the file name, or the URL. */
    public String label() {
        if (source.startsWith("http://") || source.startsWith("https://") || source.startsWith("a data URL")) return source;
        Path n = Path.of(source).getFileName();
        return n == null ? source : n.toString();
    }

    /** The type's short name: PNG, JPEG, WEBP, GIF. */
    public String kind() {
        return mime.substring("image/".length()).toUpperCase(Locale.ROOT);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
