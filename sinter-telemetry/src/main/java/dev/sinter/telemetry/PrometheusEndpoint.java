// An opt-in HTTP endpoint that serves the run's latest figures (the ones the metrics JSONL has) at
// /metrics in the Prometheus text exposition format 0.0.4, so a Prometheus server or any curl can
// watch a long run. Every figure is a gauge, so the format needs only "# HELP", "# TYPE" and one
// sample line per name; that is written by hand over the JDK's own HTTP server (jdk.httpserver),
// which keeps the endpoint free of dependencies and of any process-wide metrics registry.
package dev.sinter.telemetry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves gauges at {@code http://host:port/metrics}. The training thread calls {@link #update} and
 * the server's thread reads; each scrape sees one whole update, never half of one. Binds to loopback
 * unless told otherwise, because the figures are nobody else's business by default. Close it: the
 * JDK's server thread keeps the JVM alive until then.
 */
public final class PrometheusEndpoint implements AutoCloseable {
  /** The address bound when none is given: loopback only. */
  public static final String DEFAULT_BIND = "127.0.0.1";
  /** Content type of the text exposition format this endpoint speaks. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  /** Prefix of every exported name: "loss" is served as {@code sinter_loss}. */
  public static final String PREFIX = "sinter_";

  private static final Map<String, String> HELP = Map.of(
      "loss", "Training loss (cross-entropy, nats per token) at the latest step.",
      "val_loss", "Validation loss (cross-entropy, nats per token) at the latest validation.",
      "lr", "Learning rate at the latest step.",
      "grad_norm", "Global gradient L2 norm at the latest step, before clipping.",
      "tokens_per_s", "Training throughput in tokens per second at the latest step.",
      "mfu", "Model FLOPs utilisation (fraction of the machine's peak) at the latest step.",
      "hfu", "Hardware FLOPs utilisation (fraction of peak, counting recomputation) at the latest step.",
      "step", "Latest completed optimizer step.",
      "step_ms", "Wall-clock milliseconds of the latest step.");

  private record Gauge(String help, String value) {}

  private final HttpServer server;
  private final ExecutorService executor;
  // Replaced whole on each update, so a reader never sees a half-applied update.
  private volatile Map<String, Gauge> gauges = Map.of();
  private boolean closed;

  private PrometheusEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts serving on {@link #DEFAULT_BIND} (loopback); port 0 picks any free port. */
  public static PrometheusEndpoint start(int port) {
    return start(DEFAULT_BIND, port);
  }

  /**
   * Starts serving on {@code bindAddress:port}.
   *
   * @param bindAddress the address to listen on, such as "127.0.0.1" or "0.0.0.0" for every
   *                    interface; null or blank means {@link #DEFAULT_BIND}
   * @param port        the TCP port, 0 for any free one (read it back with {@link #port()})
   * @throws IllegalArgumentException if the address does not resolve or the port is out of range
   * @throws UncheckedIOException     if the address cannot be bound, e.g. the port is in use
   */
  public static PrometheusEndpoint start(String bindAddress, int port) {
    String host = bindAddress == null || bindAddress.isBlank() ? DEFAULT_BIND : bindAddress.strip();
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("metrics port must be in 0..65535 (0 = any free port), got " + port);
    }
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("metrics bind address '" + host + "' does not resolve;"
          + " use an IP address such as 127.0.0.1 or 0.0.0.0");
    }
    HttpServer server;
    try {
      server = HttpServer.create(address, 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve Prometheus metrics on " + host + ":" + port + ": "
          + e.getMessage() + "; choose another port, or 0 for any free one", e);
    }
    AtomicInteger n = new AtomicInteger();
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "sinter-prometheus-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    PrometheusEndpoint endpoint = new PrometheusEndpoint(server, executor);
    server.createContext("/metrics", endpoint::handle);
    server.setExecutor(executor);
    server.start();
    return endpoint;
  }

  /** The port being served, the chosen one when started with port 0. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The bound address and port. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /**
   * Sets gauges to these values; names not given keep their last value, null values are ignored.
   * Each name is exported as {@link #PREFIX} + the name with every character outside
   * {@code [a-zA-Z0-9_]} replaced by '_'.
   *
   * @param values figures such as loss, tokens_per_s, mfu, step
   */
  public synchronized void update(Map<String, ? extends Number> values) {
    Map<String, Gauge> next = new TreeMap<>(gauges);
    for (Map.Entry<String, ? extends Number> e : values.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        continue;
      }
      String help = HELP.getOrDefault(e.getKey(), "Sinter training figure '" + e.getKey() + "', as in the metrics JSONL.");
      next.put(metricName(e.getKey()), new Gauge(help, value(e.getValue())));
    }
    gauges = Collections.unmodifiableMap(next);
  }

  /** The body a scrape of /metrics returns now, in the text exposition format 0.0.4. */
  public String scrape() {
    Map<String, Gauge> snapshot = gauges;
    StringBuilder sb = new StringBuilder(64 * (snapshot.size() + 1));
    for (Map.Entry<String, Gauge> e : snapshot.entrySet()) {
      String name = e.getKey();
      sb.append("# HELP ").append(name).append(' ').append(escapeHelp(e.getValue().help())).append('\n');
      sb.append("# TYPE ").append(name).append(" gauge\n");
      sb.append(name).append(' ').append(e.getValue().value()).append('\n');
    }
    return sb.toString();
  }

  /** Stops serving, at once; calling it again does nothing. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop(0);
    executor.shutdownNow();
  }

  /** The exported name of a figure: prefixed, with characters outside [a-zA-Z0-9_] made '_'. */
  public static String metricName(String figure) {
    StringBuilder sb = new StringBuilder(PREFIX.length() + figure.length()).append(PREFIX);
    for (int i = 0; i < figure.length(); i++) {
      char c = figure.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      sb.append(ok ? c : '_');
    }
    return sb.toString();
  }

  /** A sample value as the format writes it: integers exactly, others as floats, NaN and ±Inf named. */
  static String value(Number n) {
    if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
        || n instanceof AtomicLong || n instanceof AtomicInteger || n instanceof BigInteger) {
      return n.toString();
    }
    double d = n.doubleValue();
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "+Inf" : "-Inf";
    }
    return Double.toString(d);
  }

  private static String escapeHelp(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n");
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!exchange.getRequestURI().getPath().equals("/metrics")) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
