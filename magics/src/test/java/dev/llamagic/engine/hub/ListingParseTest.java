package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.UserError;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repo file listing (names, sizes, sha256) from hostile and random JSON: files with sane values, or one line. */
class ListingParseTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SHA = "a".repeat(64);
    static final String GOOD = "{\"Files\":[{\"Name\":\"config.json\",\"Path\":\"config.json\",\"Type\":\"blob\",\"Size\":12,"
            + "\"Sha256\":\"" + SHA.toUpperCase() + "\",\"Revision\":\"abc\"},"
            + "{\"Name\":\"sub\",\"Path\":\"sub\",\"Type\":\"tree\"},"
            + "{\"Name\":\"model.safetensors\",\"Path\":\"sub/model.safetensors\",\"Type\":\"blob\",\"Size\":\"4096\","
            + "\"Sha256\":\"\"}]}";

    @TempDir
    Path dir;

    static List<RepoFile> parse(String json) throws JsonProcessingException {
        return ModelScopeClient.parseListing(JSON.readTree(json), "o/m");
    }

    static HubException refused(String json) {
        HubException e = assertThrows(HubException.class, () -> parse(json), json);
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e;
    }

    @Test
    void aGoodListingIsRead() throws Exception {
        List<RepoFile> files = parse(GOOD);
        assertEquals(List.of(new RepoFile("config.json", 12, SHA, "abc"),
                new RepoFile("sub/model.safetensors", 4096, null, "")), files);
        assertEquals(List.of(), parse("{}"));
        assertEquals(List.of(), parse("null"));
    }

    @Test
    void listingsOfAnotherShapeOrWithBadHashesAreOneLine() {
        assertTrue(refused("[]").getMessage().contains("its Data is not an object"));
        assertTrue(refused("{\"Files\":{}}").getMessage().contains("its Files is not a list"));
        assertTrue(refused("{\"Files\":[1]}").getMessage().contains("an entry of Files is not an object"));
        assertTrue(refused("{\"Files\":[{\"Path\":\"a\",\"Sha256\":\"zz\"}]}").getMessage()
                .contains("'a' whose Sha256 is not 64 hex digits"));
        // a number where the hash should be must not switch verification off
        assertTrue(refused("{\"Files\":[{\"Path\":\"a\\nb\",\"Sha256\":123}]}").getMessage()
                .contains("'a\\nb' whose Sha256 is not text"));
    }

    static final String[] PIECES = {"{", "}", "[", "]", "\"", ":", ",", "-", "0", "9", "1e400", "null", "true",
            "\"Files\"", "\"Path\"", "\"Size\"", "\"Sha256\"", "\"Type\"", "\"tree\"", "\"../x\"", "\"/etc/passwd\"",
            "\"a\\nb\"", "99999999999999999999", "-5", "\"" + SHA + "\""};

    @Test
    void randomListingsGiveSaneFilesOrOneLine() throws Exception {
        Layout layout = Layout.localDir(dir, "o", "m");
        Random r = new Random(20261203);
        long deadline = System.nanoTime() + 15_000_000_000L;
        for (int i = 0; i < 4000 && System.nanoTime() < deadline; i++) {
            StringBuilder b = new StringBuilder(GOOD);
            int edits = 1 + r.nextInt(4);
            for (int k = 0; k < edits; k++) {
                int at = r.nextInt(b.length() + 1);
                String piece = PIECES[r.nextInt(PIECES.length)];
                switch (r.nextInt(3)) {
                    case 0 -> b.insert(at, piece);
                    case 1 -> b.delete(at, Math.min(b.length(), at + 1 + r.nextInt(8)));
                    default -> b.replace(at, Math.min(b.length(), at + piece.length()), piece);
                }
            }
            JsonNode data;
            try {
                data = JSON.readTree(b.toString());
            } catch (JsonProcessingException notJson) {
                continue; // the client refuses that before parsing the listing
            }
            if (data == null) continue;
            try {
                List<RepoFile> files = ModelScopeClient.parseListing(data, "o/m");
                DownloadPlan.check("o/m", files, layout);
                for (RepoFile f : files) {
                    assertTrue(f.size() >= 0 && f.size() <= DownloadPlan.MAX_SIZE, "case " + i + ": " + f);
                    assertTrue(f.sha256() == null || f.sha256().matches("[0-9a-f]{64}"), "case " + i + ": " + f);
                    assertTrue(layout.target(f.path()).startsWith(dir), "case " + i + ": " + f);
                    assertTrue(f.revision() != null, "case " + i);
                }
            } catch (HubException | UserError e) {
                assertEquals(1, e.getMessage().lines().count(), "case " + i + ": " + e.getMessage());
            } catch (Throwable t) {
                fail("case " + i + " " + b + " escaped as " + t, t);
            }
        }
    }
}
