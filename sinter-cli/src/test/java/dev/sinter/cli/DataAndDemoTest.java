// The data pipeline and the demo from the command line, end to end on a small slice of the JDK's own
// sources (or of generated Java-like text where this JDK has no src.zip).
package dev.sinter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataAndDemoTest {
  @TempDir
  Path dir;

  /** The first {@code n} .java entries of this JDK's src.zip, or generated ones, as a small zip. */
  private Path slice(int n) throws IOException {
    Path out = dir.resolve("slice.zip");
    Path src = Path.of(System.getProperty("java.home"), "lib", "src.zip");
    try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(out))) {
      int written = 0;
      if (Files.isRegularFile(src)) {
        try (ZipFile zf = new ZipFile(src.toFile())) {
          Enumeration<? extends ZipEntry> en = zf.entries();
          while (en.hasMoreElements() && written < n) {
            ZipEntry e = en.nextElement();
            if (e.getName().endsWith(".java") && e.getSize() < 20_000) {
              zos.putNextEntry(new ZipEntry(e.getName()));
              zf.getInputStream(e).transferTo(zos);
              zos.closeEntry();
              written++;
            }
          }
        }
      }
      for (; written < n; written++) {
        zos.putNextEntry(new ZipEntry("gen/C" + written + ".java"));
        write(zos, "public class C" + written + " {\n  int f" + written + "(int x) { return x * " + written + "; }\n}\n");
        zos.closeEntry();
      }
    }
    return out;
  }

  private static void write(OutputStream o, String s) throws IOException {
    o.write(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void dataPrepareWritesTokenizerAndShards() throws IOException {
    Path zip = slice(40);
    Path out = dir.resolve("prepared");
    CliTest.Result r = CliTest.run("data", "prepare", "--corpus", zip.toString(), "--ext", "java", "--vocab", "400",
        "--val-permille", "200", "--out", out.toString());
    assertEquals(Main.OK, r.code(), r.err());
    assertTrue(r.out().contains("tokenizer: trained 400 ids") || r.out().contains("tokenizer: trained"), r.out());
    assertTrue(Files.exists(out.resolve("tokenizer.json")));
    assertTrue(Files.exists(out.resolve("shards.json")));
    // a second run into the same directory refuses to overwrite
    CliTest.Result again = CliTest.run("data", "prepare", "--corpus", zip.toString(), "--out", out.toString());
    assertEquals(Main.USAGE, again.code());
    assertTrue(again.err().contains("already exists"), again.err());
    // and training reads the shards, with validation
    CliTest.Result train = CliTest.run("train", "--data", out.toString(), "--steps", "2", "--peak-gflops", "100",
        "--set", "model.vocab_size=400", "--set", "data.val_every=1", "--out", dir.resolve("trained").toString());
    assertEquals(Main.OK, train.code(), train.err());
    assertTrue(train.out().contains("| val "), train.out());
  }

  @Test
  void demoRunsEndToEndOnATinyBudget() throws IOException {
    Path zip = slice(60);
    Path run = dir.resolve("run");
    CliTest.Result r = CliTest.run("demo", "--corpus", zip.toString(), "--preset", "debug", "--vocab", "300",
        "--steps", "3", "--sample-tokens", "8", "--val-permille", "200", "--peak-gflops", "100",
        "--cache", dir.resolve("cache").toString(), "--out", run.toString(), "--prompt", "int x = ");
    assertEquals(Main.OK, r.code(), r.err());
    assertTrue(r.out().contains("step 3/3"), r.out());
    assertTrue(r.out().contains("tokens/s, KV cache"), r.out());
    for (String f : new String[] {"run.json", "metrics.jsonl", "report.html", "report.md", "sample.txt",
        "checkpoints/step-00000003/model.safetensors", "checkpoints/step-00000003/tokenizer.json"}) {
      assertTrue(Files.exists(run.resolve(f)), "missing " + f);
    }
    assertTrue(Files.readString(run.resolve("sample.txt")).startsWith("int x = "));
    // the trained model generates and evaluates from its run directory
    CliTest.Result gen = CliTest.run("generate", "--model", run.toString(), "--prompt", "int x = ", "--max-tokens", "5",
        "--seed", "7");
    assertEquals(Main.OK, gen.code(), gen.err());
    assertTrue(gen.out().startsWith("int x = "), gen.out());
    assertTrue(gen.err().contains("tokens/s"), gen.err());
    Path data;
    try (var s = Files.list(dir.resolve("cache"))) {
      data = s.filter(p -> p.getFileName().toString().startsWith("data-")).findFirst().orElseThrow();
    }
    CliTest.Result eval = CliTest.run("eval", "--model", run.toString(), "--data", data.toString(), "--batch", "2",
        "--seq", "16", "--json");
    assertEquals(Main.OK, eval.code(), eval.err());
    assertTrue(eval.out().contains("\"perplexity\""), eval.out());
    // the run record re-runs bit for bit, and a tampered record is caught at the tampered step
    CliTest.Result ok = CliTest.run("verify", run.toString());
    assertEquals(Main.OK, ok.code(), ok.out() + ok.err());
    assertTrue(ok.out().contains("OK: 3 steps match bit for bit"), ok.out());
    String record = Files.readString(run.resolve("run.json"));
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(record);
    double loss2 = json.get("steps").get(1).get("loss").asDouble();
    Files.writeString(run.resolve("run.json"), record.replace(Double.toString(loss2), Double.toString(Math.nextUp(loss2))));
    CliTest.Result bad = CliTest.run("verify", run.toString());
    assertEquals(Main.FAILED, bad.code(), bad.out());
    assertTrue(bad.out().contains("DIVERGED at step 2"), bad.out());
    // the second run reuses the cached data
    CliTest.Result again = CliTest.run("demo", "--corpus", zip.toString(), "--preset", "debug", "--vocab", "300",
        "--steps", "1", "--sample-tokens", "2", "--val-permille", "200", "--peak-gflops", "100",
        "--cache", dir.resolve("cache").toString(), "--out", dir.resolve("run2").toString(), "--prompt", "int x = ");
    assertEquals(Main.OK, again.code(), again.err());
    assertTrue(again.out().contains("using the cached tokenizer"), again.out());
  }

  @Test
  void demoWithoutCorpusSaysWhatToDo() {
    CliTest.Result r = CliTest.run("demo", "--corpus", dir.resolve("missing.zip").toString(), "--steps", "1",
        "--peak-gflops", "1", "--cache", dir.resolve("c").toString());
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("missing.zip"), r.err());
  }
}
