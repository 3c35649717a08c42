// The Prometheus endpoint serves the text format on loopback by default, sanitises names, and a
// scrape during concurrent updates always sees one whole update.
package dev.sinter.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusEndpointTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(PrometheusEndpoint e, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + e.port() + path);
    return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Sample lines of a scrape body as name to value; comment lines are checked, not returned. */
  private static Map<String, String> samples(String body) {
    Map<String, String> out = new LinkedHashMap<>();
    String lastType = null;
    for (String line : body.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] p = line.split(" ");
        assertEquals("gauge", p[3], line);
        lastType = p[2];
      } else if (line.startsWith("# HELP ")) {
        assertTrue(line.split(" ", 4).length == 4, "HELP has text: " + line);
      } else {
        String[] p = line.split(" ");
        assertEquals(2, p.length, line);
        assertTrue(p[0].matches("[a-zA-Z_:][a-zA-Z0-9_:]*"), "valid name: " + p[0]);
        assertEquals(lastType, p[0], "each sample follows its own TYPE line");
        out.put(p[0], p[1]);
      }
    }
    return out;
  }

  @Test
  void servesGaugesOnLoopbackByDefault() throws Exception {
    try (PrometheusEndpoint e = PrometheusEndpoint.start(0)) {
      assertTrue(e.port() > 0);
      assertTrue(e.address().getAddress().isLoopbackAddress(), "bound to " + e.address());
      assertEquals("", get(e, "/metrics").body(), "nothing to report before the first update");

      Map<String, Number> step = new LinkedHashMap<>();
      step.put("step", 12L);
      step.put("loss", 3.25);
      step.put("tokens_per_s", 1234.5f);
      step.put("mfu", 0.41);
      step.put("val-loss/ema", Double.NaN);
      step.put("weird", Double.POSITIVE_INFINITY);
      e.update(step);
      e.update(Map.of("loss", 3.0)); // a later update of one figure leaves the others in place

      HttpResponse<String> r = get(e, "/metrics");
      assertEquals(200, r.statusCode());
      assertEquals(PrometheusEndpoint.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElse(""));
      Map<String, String> s = samples(r.body());
      assertEquals("12", s.get("sinter_step"));
      assertEquals("3.0", s.get("sinter_loss"));
      assertEquals(1234.5, Double.parseDouble(s.get("sinter_tokens_per_s")));
      assertEquals("0.41", s.get("sinter_mfu"));
      assertEquals("NaN", s.get("sinter_val_loss_ema"));
      assertEquals("+Inf", s.get("sinter_weird"));
      assertTrue(r.body().contains("# HELP sinter_loss Training loss"), r.body());
      assertTrue(r.body().endsWith("\n"));
    }
  }

  @Test
  void otherPathsAndMethodsAreRefused() throws Exception {
    try (PrometheusEndpoint e = PrometheusEndpoint.start(null, 0)) {
      assertTrue(e.address().getAddress().isLoopbackAddress());
      assertEquals(404, get(e, "/").statusCode());
      assertEquals(404, get(e, "/metricsx").statusCode());
      URI uri = URI.create("http://127.0.0.1:" + e.port() + "/metrics");
      HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
    }
  }

  @Test
  void aPortInUseIsReportedWithAWayOut() {
    try (PrometheusEndpoint first = PrometheusEndpoint.start(0)) {
      UncheckedIOException ex = assertThrows(UncheckedIOException.class,
          () -> PrometheusEndpoint.start("127.0.0.1", first.port()).close());
      assertTrue(ex.getMessage().contains("127.0.0.1:" + first.port()), ex.getMessage());
      assertTrue(ex.getMessage().contains("choose another port"), ex.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> PrometheusEndpoint.start(70000));
  }

  @Test
  void scrapesDuringUpdatesSeeWholeUpdates() throws Exception {
    try (PrometheusEndpoint e = PrometheusEndpoint.start(0)) {
      Thread trainer = new Thread(() -> {
        for (long i = 0; i < 20_000; i++) {
          e.update(Map.of("step", i, "tokens", i * 10));
        }
      });
      trainer.start();
      int seen = 0;
      while (trainer.isAlive() || seen == 0) {
        Map<String, String> s = samples(get(e, "/metrics").body());
        if (!s.isEmpty()) {
          long step = Long.parseLong(s.get("sinter_step"));
          assertEquals(step * 10, Long.parseLong(s.get("sinter_tokens")), "one scrape, one update");
          seen++;
        }
      }
      trainer.join();
      assertEquals("19999", samples(get(e, "/metrics").body()).get("sinter_step"));
    }
  }

  @Test
  void namesAreSanitised() {
    assertEquals("sinter_loss", PrometheusEndpoint.metricName("loss"));
    assertEquals("sinter_grad_norm_l2_", PrometheusEndpoint.metricName("grad-norm.l2 "));
    assertEquals("sinter_9lives", PrometheusEndpoint.metricName("9lives"));
    assertFalse(PrometheusEndpoint.metricName("é").contains("é"));
    assertEquals(List.of("1", "2.5", "-Inf"), List.of(PrometheusEndpoint.value(1), PrometheusEndpoint.value(2.5),
        PrometheusEndpoint.value(Double.NEGATIVE_INFINITY)));
  }
}
