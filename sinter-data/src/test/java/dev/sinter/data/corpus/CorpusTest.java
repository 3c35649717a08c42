// Tests for the corpus readers: directory, glob, zip and JSONL inputs, the filters, the content
// checks and the stats, with orders checked to be deterministic.
package dev.sinter.data.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
  private static final byte[] INVALID_UTF8 = {'a', 'b', (byte) 0xC3, 0x28, 'c'};
  private static final byte[] BINARY = {'P', 'K', 3, 4, 0, 0, 1, 2};

  @TempDir
  Path tmp;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void write(String rel, byte[] bytes) throws IOException {
    Path p = tmp.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.write(p, bytes);
  }

  private record Read(List<String> names, List<String> texts, CorpusStats stats,
      List<Skip> skips) {}

  private static Read readAll(Corpus c, CorpusFilter f) {
    List<String> names = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<Skip> skips = new ArrayList<>();
    try (CorpusReader r = c.open(f, skips::add)) {
      while (r.hasNext()) {
        Document d = r.next();
        names.add(d.name());
        texts.add(new String(d.bytes(), StandardCharsets.UTF_8));
        assertEquals(ContentHash.of(d.bytes()), d.hash(), d.name());
      }
      return new Read(names, texts, r.stats(), skips);
    }
  }

  @Test
  void directoryIsWalkedInSortedOrderWithChecksAndFilters() throws IOException {
    write("b/z.txt", utf8("zed"));
    write("a/y.txt", utf8("why"));
    write("a.txt", utf8("ay"));
    write("a/b/c.java", utf8("class C {}"));
    write("a/b/d.TXT", utf8("upper-case extension"));
    write(".hidden/x.txt", utf8("hidden directory"));
    write("a/.dot.txt", utf8("hidden file"));
    write("c/dup.txt", utf8("why"));
    write("c/empty.txt", new byte[0]);
    write("c/bin.txt", BINARY);
    write("c/bad.txt", INVALID_UTF8);
    write("c/big.txt", utf8("x".repeat(200)));
    CorpusFilter f = CorpusFilter.DEFAULT.withExtensions("txt").withSize(1, 100);
    Read r = readAll(Corpus.directory(tmp), f);
    assertEquals(List.of("ay", "upper-case extension", "why", "zed"), r.texts());
    assertEquals(tmp.resolve("a.txt").toString(), r.names().getFirst());
    CorpusStats s = r.stats();
    assertEquals(4, s.documents());
    assertEquals(2 + 20 + 3 + 3, s.bytes());
    assertEquals(1, s.skippedDuplicate());
    assertEquals(1, s.skippedBinary());
    assertEquals(1, s.skippedInvalidUtf8());
    assertEquals(3, s.skippedByFilter(), "c.java by extension, empty.txt and big.txt by size");
    assertEquals(0, s.skippedMalformed());
    assertEquals(s.skipped(), r.skips().size());
    assertEquals(r.skips(), s.firstSkips());
    assertEquals(r, readAll(Corpus.directory(tmp), f), "a second pass must read the same");

    Read noDedupe = readAll(Corpus.directory(tmp), f.withDedupe(false));
    assertEquals(List.of("ay", "upper-case extension", "why", "zed", "why"), noDedupe.texts());
  }

  @Test
  void commentsAreStrippedFromSourceFilesBeforeDeduplication() throws IOException {
    write("a/A.java", utf8("/* Copyright 2020 */\nclass A {}\n"));
    write("a/B.java", utf8("/* Copyright 2024 */\nclass A {}\n")); // the same code under another year
    write("a/C.java", utf8("// only a comment\n"));
    write("a/notes.md", utf8("/* Copyright kept: not a source file */\n"));
    Read r = readAll(Corpus.directory(tmp.resolve("a")), CorpusFilter.DEFAULT.withComments(CommentStripper.HEADER));
    assertEquals(List.of("class A {}\n", "// only a comment\n", "/* Copyright kept: not a source file */\n"), r.texts());
    assertEquals(1, r.stats().skippedDuplicate());
    Read all = readAll(Corpus.directory(tmp.resolve("a")), CorpusFilter.DEFAULT.withComments(CommentStripper.ALL));
    assertEquals(List.of("class A {}\n", "/* Copyright kept: not a source file */\n"), all.texts());
    assertEquals(1, all.stats().skippedByFilter(), "a file that was only comment is skipped");
  }

  @Test
  void globMatchesLikeAShellWithGlobstar() throws IOException {
    write("src/A.java", utf8("top"));
    write("src/p/B.java", utf8("nested"));
    write("src/p/q/C.java", utf8("deeper"));
    write("src/p/notes.md", utf8("not java"));
    assertEquals(List.of("top", "nested", "deeper"),
        readAll(Corpus.glob(tmp + "/src/**/*.java"), CorpusFilter.DEFAULT).texts());
    assertEquals(List.of("nested"),
        readAll(Corpus.glob(tmp + "/src/p/*.java"), CorpusFilter.DEFAULT).texts());
    assertEquals(List.of("top", "nested", "deeper"),
        readAll(Corpus.of(tmp + "/src/**/*.java", "text"), CorpusFilter.DEFAULT).texts());
  }

  @Test
  void zipEntriesAreReadByNameWithEveryKindOfSkip() throws IOException {
    Path zip = tmp.resolve("mix.zip");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
      entry(out, "z/last.java", utf8("class Last {}"));
      out.putNextEntry(new ZipEntry("dir/"));
      out.closeEntry();
      entry(out, "b/Bin.java", BINARY);
      entry(out, "a/First.java", utf8("class First {}"));
      entry(out, "a/Bad.java", INVALID_UTF8);
      entry(out, "m/Copy.java", utf8("class First {}"));
      entry(out, "m/readme.txt", utf8("not java"));
      entry(out, "m/Unicode.java", utf8("/* ünïcödé ✓ 𝄞 */"));
    }
    CorpusFilter f = CorpusFilter.DEFAULT.withExtensions(".java");
    Read r = readAll(Corpus.archive(zip), f);
    assertEquals(List.of("class First {}", "/* ünïcödé ✓ 𝄞 */", "class Last {}"), r.texts());
    assertEquals(zip + "!/a/First.java", r.names().getFirst());
    CorpusStats s = r.stats();
    assertEquals(3, s.documents());
    assertEquals(1, s.skippedInvalidUtf8());
    assertEquals(1, s.skippedBinary());
    assertEquals(1, s.skippedDuplicate());
    assertEquals(1, s.skippedByFilter());
    assertEquals(r, readAll(Corpus.of(zip.toString(), "text"), f));
  }

  private static void entry(ZipOutputStream out, String name, byte[] bytes) throws IOException {
    out.putNextEntry(new ZipEntry(name));
    out.write(bytes);
    out.closeEntry();
  }

  @Test
  void jsonlSkipsBadLinesWithTheirLineNumbers() throws IOException {
    String text = String.join("\n",
        "{\"text\": \"first\", \"meta\": {\"a\": [1, 2, {\"b\": null}]}}",
        "{\"text\": \"broken",
        "{\"title\": \"no text field\"}",
        "",
        "{\"text\": 42}",
        "{\"id\": 7, \"text\": \"second\\nline \\u00e9 \\ud834\\udd1e\"}\r",
        "[\"an\", \"array\"]",
        "{\"text\": \"lone \\ud800 surrogate\"}",
        "{\"text\": \"first\"}",
        "{\"text\": \"x\"} trailing",
        "{\"text\": \"has \\u0000 nul\"}",
        "{\"text\": \"last, no newline\"}");
    byte[] bytes = utf8(text);
    Path file = tmp.resolve("data.jsonl");
    Files.write(file, bytes);
    Read r = readAll(Corpus.jsonl(file, "text"), CorpusFilter.DEFAULT);
    assertEquals(List.of("first", "second\nline é 𝄞", "last, no newline"), r.texts());
    assertEquals(List.of(file + ":1", file + ":6", file + ":12"), r.names());
    CorpusStats s = r.stats();
    assertEquals(5, s.skippedMalformed(), "lines 2, 3, 5, 7, 10");
    assertEquals(1, s.skippedInvalidUtf8(), "line 8");
    assertEquals(1, s.skippedDuplicate(), "line 9");
    assertEquals(1, s.skippedBinary(), "line 11");
    List<Long> lines = r.skips().stream().map(Skip::line).toList();
    assertEquals(List.of(2L, 3L, 5L, 7L, 8L, 9L, 10L, 11L), lines);
    assertEquals(Skip.Reason.MISSING_FIELD, r.skips().get(1).reason());
    assertTrue(r.skips().get(1).toString().startsWith(file + ":3: skipped (missing_field)"),
        r.skips().get(1).toString());

    Path gz = tmp.resolve("data.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(bytes);
    }
    Read z = readAll(Corpus.of(gz.toString(), "text"), CorpusFilter.DEFAULT);
    assertEquals(r.texts(), z.texts());
    assertEquals(r.stats().skipped(), z.stats().skipped());
  }

  @Test
  void jsonlLineWithInvalidUtf8IsCountedAsSuchAndLongLinesAreSkipped() throws IOException {
    Path file = tmp.resolve("raw.jsonl");
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(utf8("{\"text\": \"ok\"}\n{\"text\": \""));
      out.write(INVALID_UTF8);
      out.write(utf8("\"}\n{\"text\": \"" + "y".repeat(5000) + "\"}\n{\"text\": \"end\"}\n"));
    }
    Read r = readAll(Corpus.jsonl(file, "text"), CorpusFilter.DEFAULT.withSize(1, 100));
    assertEquals(List.of("ok", "end"), r.texts());
    assertEquals(1, r.stats().skippedInvalidUtf8());
    assertEquals(1, r.stats().skippedByFilter());
    assertEquals(2, r.skips().get(0).line());
    assertEquals(3, r.skips().get(1).line());
  }

  @Test
  void randomCorpusCountsMatchWhatWasWritten() throws IOException {
    long seed = 20240917L;
    Random rnd = new Random(seed);
    int text = 0;
    int bin = 0;
    int bad = 0;
    int dup = 0;
    List<String> expected = new ArrayList<>();
    List<String> distinct = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String name = String.format("d%d/f%03d.txt", rnd.nextInt(4), i);
      switch (rnd.nextInt(4)) {
        case 0 -> {
          bin++;
          byte[] b = new byte[1 + rnd.nextInt(50)];
          rnd.nextBytes(b);
          b[rnd.nextInt(b.length)] = 0;
          write(name, b);
        }
        case 1 -> {
          bad++;
          byte[] b = utf8("text " + i);
          byte[] c = Arrays.copyOf(b, b.length + 1);
          c[b.length] = (byte) (0x80 + rnd.nextInt(64));
          write(name, c);
        }
        case 2 -> {
          if (distinct.isEmpty()) {
            String s = "seed text " + i;
            distinct.add(s);
            text++;
            write(name, utf8(s));
          } else {
            dup++;
            write(name, utf8(distinct.get(rnd.nextInt(distinct.size()))));
          }
        }
        default -> {
          String s = "document " + i + " " + "é".repeat(rnd.nextInt(5));
          distinct.add(s);
          text++;
          write(name, utf8(s));
        }
      }
    }
    Read r = readAll(Corpus.directory(tmp), CorpusFilter.DEFAULT);
    CorpusStats s = r.stats();
    String msg = "seed " + seed;
    assertEquals(text, s.documents(), msg);
    assertEquals(bin, s.skippedBinary(), msg);
    assertEquals(bad, s.skippedInvalidUtf8(), msg);
    assertEquals(dup, s.skippedDuplicate(), msg);
    List<String> sortedNames = new ArrayList<>(r.names());
    sortedNames.sort(String::compareTo);
    assertEquals(sortedNames, r.names(), msg);
  }

  @Test
  void streamApiClosesTheReaderAndErrorsNameTheInput() throws IOException {
    write("one.txt", utf8("one"));
    write("two.txt", utf8("two"));
    try (var s = Corpus.directory(tmp).open(CorpusFilter.DEFAULT).stream()) {
      assertEquals(2, s.count());
    }
    assertEquals(List.of("two"),
        readAll(Corpus.of(tmp.resolve("two.txt").toString(), "text"), CorpusFilter.DEFAULT)
            .texts(), "a plain file is a corpus of one document");
    Path notZip = tmp.resolve("fake.zip");
    Files.write(notZip, utf8("not a zip"));
    CorpusReader r = Corpus.archive(notZip).open(CorpusFilter.DEFAULT);
    UncheckedIOException e = assertThrows(UncheckedIOException.class, r::hasNext);
    assertTrue(e.getMessage().contains(notZip.toString()), e.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> Corpus.directory(tmp.resolve("nope")));
    assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
  }

  @Test
  void filterValidatesAndNormalises() {
    CorpusFilter f = CorpusFilter.DEFAULT.withExtensions("java", ".TXT");
    assertEquals(Set.of(".java", ".txt"), f.extensions());
    assertTrue(f.acceptsName("x/Y.Java"));
    assertThrows(IllegalArgumentException.class, () -> CorpusFilter.DEFAULT.withSize(10, 5));
    assertThrows(IllegalArgumentException.class, () -> CorpusFilter.DEFAULT.withExtensions(""));
  }

  @Test
  void contentHashBucketsAreStable() {
    ContentHash h = ContentHash.of(utf8("hello"));
    // SHA-256("hello") = 2cf24dba5fb0a30e26e83b2ac5b9e29e...
    assertEquals("2cf24dba5fb0a30e26e83b2ac5b9e29e", h.toString());
    assertEquals(Long.remainderUnsigned(0x2cf24dba5fb0a30eL, 1000), h.permille());
    assertArrayEquals(utf8("hello"), utf8("hello"));
  }
}
