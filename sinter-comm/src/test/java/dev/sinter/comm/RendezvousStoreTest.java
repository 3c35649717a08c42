// The rendezvous store: set/get/wait/add semantics, timeouts that name the key, the secret that
// keeps other jobs out (logged and dropped, while the store keeps serving everyone else), and
// frames too large to accept, refused before they are allocated.
package dev.sinter.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Handler;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RendezvousStoreTest {
  private static final Duration T = Duration.ofSeconds(10);
  private RendezvousStore store;
  private final List<String> logged = new CopyOnWriteArrayList<>();
  private final Handler capture = Ranks.collecting(logged);

  @BeforeEach
  void start() {
    store = RendezvousStore.start(0, Ranks.SECRET);
    Logger.getLogger("dev.sinter.comm").addHandler(capture);
  }

  @AfterEach
  void stop() {
    Logger.getLogger("dev.sinter.comm").removeHandler(capture);
    store.close();
  }

  private StoreClient client() {
    return StoreClient.connect(store.address(), Ranks.SECRET, T);
  }

  @Test
  void bindsToLoopbackByDefaultOnAnEphemeralPort() {
    assertTrue(store.address().getAddress().isLoopbackAddress(), store.address().toString());
    assertTrue(store.port() > 0);
  }

  @Test
  void setThenGetReturnsTheValueAndSetReplacesIt() {
    try (StoreClient c = client()) {
      c.set("a", new byte[] {1, 2, 3});
      assertArrayEquals(new byte[] {1, 2, 3}, c.get("a"));
      c.set("a", new byte[0]);
      assertArrayEquals(new byte[0], c.get("a"));
    }
  }

  @Test
  void getBlocksUntilAnotherClientSetsTheKey() throws Exception {
    try (StoreClient reader = client(); StoreClient writer = client();
         ExecutorService pool = Executors.newSingleThreadExecutor()) {
      Future<byte[]> f = pool.submit(() -> reader.get("late"));
      Thread.sleep(150);
      assertTrue(!f.isDone(), "get must wait for the key");
      writer.set("late", "here".getBytes(StandardCharsets.UTF_8));
      assertEquals("here", new String(f.get(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void getTimesOutNamingTheKey() {
    try (StoreClient c = client()) {
      long t0 = System.nanoTime();
      CommException e = assertThrows(CommException.class, () -> c.get("never", Duration.ofMillis(200)));
      assertTrue(e.getMessage().contains("'never'") && e.getMessage().contains("200 ms"), e.getMessage());
      assertTrue(System.nanoTime() - t0 < 3e9, "the timeout must be honoured");
      c.set("after", new byte[] {7});
      assertArrayEquals(new byte[] {7}, c.get("after"), "the connection stays usable after a timeout");
    }
  }

  @Test
  void waitForReturnsWhenEveryKeyIsSetAndNamesTheMissingOnes() {
    try (StoreClient c = client()) {
      c.set("x", new byte[0]);
      c.set("y", new byte[0]);
      c.waitFor(T, "x", "y");
      CommException e = assertThrows(CommException.class, () -> c.waitFor(Duration.ofMillis(100), "x", "z", "w"));
      assertTrue(e.getMessage().contains("z, w") && !e.getMessage().contains("x,"), e.getMessage());
    }
  }

  @Test
  void addIsAtomicAcrossClients() throws Exception {
    int clients = 4;
    int adds = 50;
    List<StoreClient> cs = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      cs.add(client());
    }
    try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
      List<Future<?>> fs = new ArrayList<>();
      for (StoreClient c : cs) {
        fs.add(pool.submit(() -> {
          for (int i = 0; i < adds; i++) {
            c.add("counter", 1);
          }
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    }
    assertEquals(clients * adds + 5, cs.get(0).add("counter", 5));
    assertEquals(Integer.toString(clients * adds + 5), new String(cs.get(1).get("counter"), StandardCharsets.US_ASCII));
    cs.get(0).set("text", "abc".getBytes(StandardCharsets.UTF_8));
    CommException e = assertThrows(CommException.class, () -> cs.get(0).add("text", 1));
    assertTrue(e.getMessage().contains("not a counter"), e.getMessage());
    cs.forEach(StoreClient::close);
  }

  @Test
  void aClientWithTheWrongSecretCannotConnectAndIsLoggedWhileOthersCarryOn() throws InterruptedException {
    try (StoreClient good = client()) {
      good.set("addr", "secret stuff".getBytes(StandardCharsets.UTF_8));
      byte[] wrong = "another-job-secret-abcdefghijklmnop".getBytes(StandardCharsets.UTF_8);
      CommException e = assertThrows(CommException.class, () -> StoreClient.connect(store.address(), wrong, T));
      assertEquals("store at " + store.address().getHostString() + ":" + store.port() + " refused this job's secret"
          + " (is SINTER_JOB_SECRET the same on every rank?)", e.getMessage());
      // The store logs just after it answers, so give its thread a moment.
      waitForLog("does not know this job's secret");
      assertTrue(logged.stream().anyMatch(m -> m.contains("dropped connection from /127.0.0.1:")
          && m.contains("does not know this job's secret")), logged.toString());
      assertArrayEquals("secret stuff".getBytes(StandardCharsets.UTF_8), good.get("addr"), "the store keeps serving");
    }
  }

  @Test
  void aRawClientWithoutTheHandshakeSeesNothing() throws Exception {
    try (StoreClient good = client(); Socket raw = new Socket()) {
      good.set("k", new byte[] {42});
      raw.connect(store.address());
      raw.setSoTimeout(5000);
      // Skip the handshake and ask straight away, as a scanner or a stale client would.
      java.io.ByteArrayOutputStream req = new java.io.ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(req);
      out.writeInt(StoreProtocol.MAGIC);
      out.writeByte(StoreProtocol.VERSION);
      out.writeByte(StoreProtocol.GET);
      out.writeShort(0);
      out.writeInt(12);
      out.writeLong(0);
      out.writeShort(1);
      out.writeByte('k');
      raw.getOutputStream().write(req.toByteArray());
      DataInputStream in = new DataInputStream(raw.getInputStream());
      assertEquals(Handshake.MAGIC, in.readInt(), "the server speaks only the handshake first");
      in.readFully(new byte[4 + Handshake.NONCE]);
      int after;
      try {
        after = in.read();
      } catch (java.net.SocketException reset) {
        after = -1; // dropped with our request unread: a reset rather than an orderly close
      }
      assertEquals(-1, after, "then drops the connection without a value");
      waitForLog("not a Sinter handshake");
      assertArrayEquals(new byte[] {42}, good.get("k"));
    }
  }

  @Test
  void anOversizedFrameIsRefusedWithoutBeingAllocated() throws Exception {
    try (StoreClient good = client(); Socket raw = new Socket()) {
      raw.connect(store.address());
      DataInputStream in = new DataInputStream(raw.getInputStream());
      DataOutputStream out = new DataOutputStream(raw.getOutputStream());
      Handshake.join(in, out, Ranks.SECRET, "test".getBytes(StandardCharsets.UTF_8));
      out.writeInt(StoreProtocol.MAGIC);
      out.writeByte(StoreProtocol.VERSION);
      out.writeByte(StoreProtocol.SET);
      out.writeShort(0);
      out.writeInt(Integer.MAX_VALUE); // 2 GiB announced, none sent
      out.flush();
      raw.setSoTimeout(5000);
      assertEquals(-1, in.read(), "the store drops a client announcing a frame above the cap");
      good.set("still", new byte[] {1});
      assertArrayEquals(new byte[] {1}, good.get("still"));
    }
  }

  @Test
  void connectingWhereNoStoreListensFailsAfterTheTimeoutNamingTheAddress() throws IOException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    InetSocketAddress nowhere = new InetSocketAddress("127.0.0.1", port);
    CommException e = assertThrows(CommException.class,
        () -> StoreClient.connect(nowhere, Ranks.SECRET, Duration.ofMillis(300)));
    assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
  }

  @Test
  void aShortSecretIsRejectedUpFront() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RendezvousStore.start(0, "short".getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("at least 16 bytes"), e.getMessage());
  }

  @Test
  void aBusyPortIsReportedWithWhatToDo() {
    CommException e = assertThrows(CommException.class, () -> RendezvousStore.start(store.port(), Ranks.SECRET));
    assertTrue(e.getMessage().contains(":" + store.port()) && e.getMessage().contains("choose another port"),
        e.getMessage());
  }

  private void waitForLog(String fragment) throws InterruptedException {
    for (int i = 0; i < 100 && logged.stream().noneMatch(m -> m.contains(fragment)); i++) {
      Thread.sleep(20);
    }
    assertTrue(logged.stream().anyMatch(m -> m.contains(fragment)), logged.toString());
  }
}
