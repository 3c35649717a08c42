// Streams documents from a JSONL file (one JSON object per line), taking one named string field.
//
// The file is read line by line with a bounded buffer, never whole, and may be gzip-compressed
// (.gz). Each line is checked as UTF-8 before it is parsed, so bad encoding is reported as such
// rather than as a JSON syntax error, and parsed with Jackson's streaming parser, which validates
// the whole object but only materialises the one field we need. A bad line is a counted skip with
// its line number, never an error: one mangled record in a 100 GB dump must not stop a run.
package dev.sinter.data.corpus;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

final class JsonlSource implements Source {
  private static final int CHUNK = 1 << 16;

  // The default 20M-character string limit is a guard for untrusted web input; our size filter is
  // the limit that matters here.
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE).build())
      .build();

  private final Path file;
  private final String field;

  JsonlSource(Path file, String field) {
    if (field == null || field.isEmpty()) {
      throw new IllegalArgumentException("JSONL text field name must not be empty");
    }
    this.file = file;
    this.field = field;
  }

  @Override
  public String describe() {
    return file + " (field \"" + field + "\")";
  }

  @Override
  public Cursor open(CorpusFilter filter, Consumer<Skip> skips) throws IOException {
    InputStream raw = Files.newInputStream(file);
    InputStream in;
    try {
      in = file.toString().toLowerCase(Locale.ROOT).endsWith(".gz")
          ? new GZIPInputStream(raw, CHUNK) : raw;
    } catch (IOException e) {
      raw.close();
      throw new IOException(file + ": not a gzip file: " + e.getMessage(), e);
    }
    // Escapes can make a line up to 6x its text (\u0001 for one byte), plus the other fields.
    long lineLimit = Math.min(CorpusFilter.MAX_DOCUMENT_BYTES,
        filter.maxBytes() >= CorpusFilter.MAX_DOCUMENT_BYTES / 8
            ? CorpusFilter.MAX_DOCUMENT_BYTES : 8 * filter.maxBytes() + (1 << 20));
    LineReader lines = new LineReader(in, (int) lineLimit);
    String src = file.toString();
    return new Cursor() {
      @Override
      public Raw next() throws IOException {
        while (lines.next()) {
          long n = lines.number();
          if (lines.overLimit()) {
            skips.accept(new Skip(src, n, Skip.Reason.FILTERED_SIZE,
                "line longer than " + lineLimit + " bytes"));
            continue;
          }
          byte[] buf = lines.buffer();
          int len = lines.length();
          if (isBlank(buf, len)) {
            continue;
          }
          if (!ContentCheck.isValidUtf8(buf, 0, len)) {
            skips.accept(new Skip(src, n, Skip.Reason.INVALID_UTF8, "line is not valid UTF-8"));
            continue;
          }
          Raw doc = parse(buf, len, src, n, skips);
          if (doc != null) {
            return doc;
          }
        }
        return null;
      }

      @Override
      public void close() throws IOException {
        in.close();
      }
    };
  }

  private Raw parse(byte[] buf, int len, String src, long line, Consumer<Skip> skips) {
    String text = null;
    JsonToken valueType = null;
    try (JsonParser p = JSON.createParser(buf, 0, len)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        skips.accept(new Skip(src, line, Skip.Reason.MALFORMED_JSON, "not a JSON object"));
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (field.equals(name)) {
          valueType = v;
          text = v == JsonToken.VALUE_STRING ? p.getText() : null;
        }
        p.skipChildren();
      }
      if (p.nextToken() != null) {
        skips.accept(new Skip(src, line, Skip.Reason.MALFORMED_JSON,
            "unexpected content after the JSON object"));
        return null;
      }
    } catch (JsonProcessingException e) {
      skips.accept(new Skip(src, line, Skip.Reason.MALFORMED_JSON, e.getOriginalMessage()));
      return null;
    } catch (IOException e) {
      // Parsing a byte array performs no I/O; anything else the parser throws is still bad input.
      skips.accept(new Skip(src, line, Skip.Reason.MALFORMED_JSON, e.getMessage()));
      return null;
    }
    if (valueType == null) {
      skips.accept(new Skip(src, line, Skip.Reason.MISSING_FIELD, "no field \"" + field + "\""));
      return null;
    }
    if (text == null) {
      skips.accept(new Skip(src, line, Skip.Reason.MISSING_FIELD,
          "field \"" + field + "\" is " + valueType + ", not a string"));
      return null;
    }
    if (ContentCheck.hasLoneSurrogate(text)) {
      skips.accept(new Skip(src, line, Skip.Reason.INVALID_UTF8,
          "field \"" + field + "\" has an unpaired \\u surrogate escape"));
      return null;
    }
    return new Raw(src, line, text.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean isBlank(byte[] b, int len) {
    for (int i = 0; i < len; i++) {
      byte c = b[i];
      if (c != ' ' && c != '\t' && c != '\r') {
        return false;
      }
    }
    return true;
  }

  /** Splits a stream into '\n'-terminated lines without decoding; strips a trailing '\r'. */
  static final class LineReader {
    private final InputStream in;
    private final int limit;
    private final byte[] chunk = new byte[CHUNK];
    private int pos;
    private int end;
    private boolean eof;
    private byte[] line = new byte[256];
    private int length;
    private long number;
    private boolean overLimit;

    LineReader(InputStream in, int limit) {
      this.in = in;
      this.limit = limit;
    }

    /** Advances to the next line; false at end of input. */
    boolean next() throws IOException {
      length = 0;
      overLimit = false;
      boolean any = false;
      while (true) {
        if (pos == end) {
          if (eof || !fill()) {
            if (!any) {
              return false;
            }
            break;
          }
        }
        any = true;
        int nl = indexOf(chunk, pos, end, (byte) '\n');
        int stop = nl < 0 ? end : nl;
        append(chunk, pos, stop - pos);
        pos = nl < 0 ? end : nl + 1;
        if (nl >= 0) {
          break;
        }
      }
      number++;
      if (!overLimit && length > 0 && line[length - 1] == '\r') {
        length--;
      }
      return true;
    }

    private boolean fill() throws IOException {
      int n = in.read(chunk, 0, chunk.length);
      if (n <= 0) {
        eof = true;
        return false;
      }
      pos = 0;
      end = n;
      return true;
    }

    private void append(byte[] src, int from, int n) {
      if (overLimit) {
        return; // keep consuming to the newline, but hold nothing
      }
      if ((long) length + n > limit) {
        overLimit = true;
        length = 0;
        line = new byte[256];
        return;
      }
      if (length + n > line.length) {
        line = Arrays.copyOf(line, (int) Math.min(limit, Math.max(2L * line.length, length + n)));
      }
      System.arraycopy(src, from, line, length, n);
      length += n;
    }

    private static int indexOf(byte[] b, int from, int to, byte v) {
      for (int i = from; i < to; i++) {
        if (b[i] == v) {
          return i;
        }
      }
      return -1;
    }

    byte[] buffer() {
      return line;
    }

    int length() {
      return length;
    }

    long number() {
      return number;
    }

    boolean overLimit() {
      return overLimit;
    }
  }
}
