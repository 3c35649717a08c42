// Benchmark: trains a BPE vocabulary on the JDK's own sources ($JAVA_HOME/lib/src.zip, the .java
// entries in archive order) and measures training time and encode throughput on 1 and 2 threads.
// The Hugging Face comparison lives in src/bench (Maven profile hf-bench) so that this module does
// not depend on DJL; it reuses the corpus reading and timing here.
//
//   java -cp <classes + jackson> dev.sinter.data.tokenizer.TokenizerBench [vocab] [trainMB]
// [encodeMB]
package dev.sinter.data.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Training time and encode throughput of {@link BpeTokenizer} on JDK source code. */
public final class TokenizerBench {

  /** Timed passes per measurement after one warm-up pass; the best one is reported. */
  static final int PASSES = 3;

  /** What a benchmark run is asked to do, read from the command line. */
  record Settings(int vocabSize, double trainMb, double encodeMb, int trainThreads) {

    /**
     * Reads [vocabSize] [trainMB] [encodeMB]; throws IllegalArgumentException saying which is bad.
     */
    static Settings parse(String[] args) {
      if (args.length > 3) {
        throw new IllegalArgumentException("expected at most 3 arguments, got " + args.length);
      }
      int vocab;
      double train;
      double encode;
      try {
        vocab = args.length > 0 ? Integer.parseInt(args[0]) : 32_000;
        train = args.length > 1 ? Double.parseDouble(args[1]) : 50;
        encode = args.length > 2 ? Double.parseDouble(args[2]) : 20;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("arguments must be numbers: " + e.getMessage());
      }
      if (!(train > 0) || !(encode > 0)) {
        throw new IllegalArgumentException(
            "corpus sizes must be positive MB, got " + train + " and " + encode);
      }
      new BpeTrainer.Config(vocab, 1); // validates the vocabulary size with the trainer's message
      return new Settings(
          vocab, train, encode, Math.min(2, Runtime.getRuntime().availableProcessors()));
    }
  }

  /** The corpus, the trained tokenizer and where it was saved, for the baseline to reuse. */
  record Prepared(
      List<byte[]> trainDocs, List<byte[]> encodeDocs, BpeTokenizer tokenizer, Path json) {}

  private TokenizerBench() {}

  /**
   * Runs the benchmark and prints a report.
   *
   * @param args vocabulary size (default 32000), MB of source to train on (50), MB to encode (20)
   */
  public static void main(String[] args) throws IOException {
    Settings settings;
    try {
      settings = Settings.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("TokenizerBench: " + e.getMessage());
      System.err.println("usage: TokenizerBench [vocabSize=32000] [trainMB=50] [encodeMB=20]");
      System.exit(2);
      return;
    }
    Prepared p = prepare(settings, System.out);
    measureOurs(p, System.out);
  }

  /** Reads the corpus, trains and saves the tokenizer, printing sizes and training time. */
  static Prepared prepare(Settings s, PrintStream out) throws IOException {
    Path srcZip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
    if (!Files.isRegularFile(srcZip)) {
      throw new IllegalArgumentException(
          srcZip + " does not exist; run with a full JDK (one that ships lib/src.zip)");
    }
    List<byte[]> trainDocs = readJavaSources(srcZip, (long) (s.trainMb() * 1e6));
    List<byte[]> encodeDocs = prefix(trainDocs, (long) (s.encodeMb() * 1e6));
    out.printf(
        Locale.ROOT,
        "corpus: %s, %d .java files, %.1f MB for training, %d files, %.1f MB" + " for encoding%n",
        srcZip,
        trainDocs.size(),
        mb(trainDocs),
        encodeDocs.size(),
        mb(encodeDocs));
    out.printf(
        Locale.ROOT,
        "machine: %d cores, %s %s%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name"),
        System.getProperty("java.version"));

    BpeTokenizer tokenizer = null;
    for (int threads = 1; threads <= s.trainThreads(); threads++) {
      long[] phases = new long[3];
      long t0 = System.nanoTime();
      BpeTokenizer t =
          BpeTrainer.train(trainDocs, new BpeTrainer.Config(s.vocabSize(), threads), phases);
      double seconds = (System.nanoTime() - t0) / 1e9;
      out.printf(
          Locale.ROOT,
          "train: vocab %d (%d merges) on %d thread%s in %.1f s: count words"
              + " %.1f s, index pairs %.1f s, merge %.1f s%n",
          t.vocabSize(),
          t.mergeCount(),
          threads,
          threads == 1 ? "" : "s",
          seconds,
          phases[0] / 1e9,
          phases[1] / 1e9,
          phases[2] / 1e9);
      if (tokenizer != null && !tokenizer.hash().equals(t.hash())) {
        throw new IllegalStateException(
            "training on "
                + threads
                + " threads gave hash "
                + t.hash()
                + ", on 1 thread "
                + tokenizer.hash()
                + ": training is not deterministic");
      }
      tokenizer = t;
    }

    Path json = scratchFile("sinter-bench-", "tokenizer.json");
    TokenizerJson.save(tokenizer, json);
    out.printf(
        Locale.ROOT, "saved: %s (%d bytes), hash %s%n", json, Files.size(json), tokenizer.hash());
    return new Prepared(trainDocs, encodeDocs, tokenizer, json);
  }

  /** Prints Sinter's encode throughput on 1 and 2 threads and the tokens per byte. */
  static void measureOurs(Prepared p, PrintStream out) {
    long bytes = bytes(p.encodeDocs());
    long tokens = 0;
    for (int[] ids : p.tokenizer().encodeAll(p.encodeDocs(), 1)) {
      tokens += ids.length;
    }
    out.printf(
        Locale.ROOT,
        "compression: %.3f tokens/byte, %.2f bytes/token%n",
        (double) tokens / bytes,
        (double) bytes / tokens);
    for (int threads : new int[] {1, 2}) {
      double mbps = throughput(bytes, () -> p.tokenizer().encodeAll(p.encodeDocs(), threads));
      out.printf(
          Locale.ROOT,
          "sinter encode, %d thread%s: %.1f MB/s%n",
          threads,
          threads == 1 ? "" : "s",
          mbps);
    }
  }

  /** A file in a new temporary directory; both are deleted when the JVM exits. */
  static Path scratchFile(String dirPrefix, String name) throws IOException {
    Path dir = Files.createTempDirectory(dirPrefix);
    dir.toFile().deleteOnExit();
    Path file = dir.resolve(name);
    file.toFile().deleteOnExit(); // registered last, so deleted before its directory
    return file;
  }

  /** MB/s of the best of {@link #PASSES} timed runs of {@code pass} after one warm-up run. */
  static double throughput(long bytes, Runnable pass) {
    pass.run();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < PASSES; i++) {
      long t0 = System.nanoTime();
      pass.run();
      best = Math.min(best, System.nanoTime() - t0);
    }
    return bytes / 1e6 / (best / 1e9);
  }

  /** The .java entries of {@code zip} in archive order, until {@code maxBytes} are read. */
  static List<byte[]> readJavaSources(Path zip, long maxBytes) throws IOException {
    List<byte[]> docs = new ArrayList<>();
    long total = 0;
    try (InputStream file = Files.newInputStream(zip);
        ZipInputStream in = new ZipInputStream(file)) {
      ZipEntry e;
      while (total < maxBytes && (e = in.getNextEntry()) != null) {
        if (!e.isDirectory() && e.getName().endsWith(".java")) {
          byte[] doc = in.readAllBytes();
          docs.add(doc);
          total += doc.length;
        }
      }
    }
    return docs;
  }

  static List<byte[]> prefix(List<byte[]> docs, long maxBytes) {
    List<byte[]> out = new ArrayList<>();
    long total = 0;
    for (byte[] d : docs) {
      if (total >= maxBytes) {
        break;
      }
      out.add(d);
      total += d.length;
    }
    return out;
  }

  static long bytes(List<byte[]> docs) {
    long n = 0;
    for (byte[] d : docs) {
      n += d.length;
    }
    return n;
  }

  private static double mb(List<byte[]> docs) {
    return bytes(docs) / 1e6;
  }
}
