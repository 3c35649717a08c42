// Removes comments from Java and C-family source before it is tokenized, for corpora meant to
// teach code: a licence header repeated at the top of every file, or Javadoc that outweighs the
// code it documents, is what a small model learns first.
//
// A lexer, not a regular expression: it walks code, string literals ("…" with escapes, Java text
// blocks """…"""), character literals, line comments and block comments, so "//" inside a string
// or "*/" inside a line comment stay what they are. Comment delimiters and quotes are ASCII, so
// walking the UTF-8 bytes is exact. A line that held only comment (and blanks) is removed whole;
// blank lines of the original stay; a comment between two tokens on one line leaves one space.
package dev.sinter.data.corpus;

import java.util.Arrays;
import java.util.Locale;

/** What to remove from source files; applied to names ending in {@link #SOURCE_EXTENSIONS}. */
public enum CommentStripper {
  /** Keep documents as they are. */
  NONE,
  /** Remove a leading block comment that mentions a copyright or licence (a licence header). */
  HEADER,
  /** Remove every comment. */
  ALL;

  /** Files whose comment syntax this lexer knows: Java and the C family. */
  public static final String[] SOURCE_EXTENSIONS = {".java", ".c", ".h", ".cc", ".cpp", ".hpp"};

  /** The value of a command-line or config spelling: none, header, all (any case). */
  public static CommentStripper parse(String s) {
    try {
      return valueOf(s.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown comment mode '" + s + "': use none, header or all");
    }
  }

  /** Whether this mode changes a document with the given name (only known source files). */
  public boolean appliesTo(String name) {
    if (this == NONE) {
      return false;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (String e : SOURCE_EXTENSIONS) {
      if (lower.endsWith(e)) {
        return true;
      }
    }
    return false;
  }

  /** The document without the comments this mode removes; {@code b} itself when nothing changed. */
  public byte[] strip(byte[] b) {
    return switch (this) {
      case NONE -> b;
      case HEADER -> stripHeader(b);
      case ALL -> stripAll(b);
    };
  }

  private static byte[] stripHeader(byte[] b) {
    int i = skipBlank(b, 0);
    if (!startsWith(b, i, '/', '*')) {
      return b;
    }
    int end = indexOf(b, i + 2, '*', '/');
    if (end < 0) {
      return b;
    }
    String comment = new String(b, i, end - i, java.nio.charset.StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    if (!comment.contains("copyright") && !comment.contains("license") && !comment.contains("licence")) {
      return b;
    }
    int from = skipBlank(b, end + 2);
    byte[] out = new byte[b.length - from];
    System.arraycopy(b, from, out, 0, out.length);
    return out;
  }

  private static byte[] stripAll(byte[] b) {
    Lines out = new Lines(b.length);
    boolean hadComment = false;
    int i = 0;
    int n = b.length;
    while (i < n) {
      byte c = b[i];
      if (c == '\n') {
        out.endLine(hadComment, true);
        hadComment = false;
        i++;
      } else if (c == '/' && i + 1 < n && b[i + 1] == '/') {
        hadComment = true;
        while (i < n && b[i] != '\n') {
          i++;
        }
      } else if (c == '/' && i + 1 < n && b[i + 1] == '*') {
        hadComment = true;
        int end = indexOf(b, i + 2, '*', '/');
        int stop = end < 0 ? n : end + 2;
        // The comment's own newlines end lines that held only comment: they vanish with it.
        boolean multiLine = false;
        for (int j = i; j < stop; j++) {
          if (b[j] == '\n') {
            multiLine = true;
            break;
          }
        }
        if (multiLine && !out.lineIsBlank()) {
          out.endLine(true, true);
        } else if (multiLine) {
          out.dropLine();
        }
        i = stop;
        // Code continues on the same line: keep the tokens apart.
        if (!out.lineIsBlank() && i < n && b[i] != '\n' && b[i] != ' ' && b[i] != '\t' && out.last() != ' ') {
          out.put((byte) ' ');
        }
      } else if (startsWith(b, i, '"', '"') && i + 2 < n && b[i + 2] == '"') {
        i = copyLiteral(b, i, indexOfTextBlockEnd(b, i + 3), out);
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && b[j] != c && b[j] != '\n') {
          j += b[j] == '\\' && j + 1 < n && b[j + 1] != '\n' ? 2 : 1;
        }
        i = copyLiteral(b, i, j < n && b[j] == c ? j + 1 : j, out);
      } else {
        out.put(c);
        i++;
      }
    }
    out.endLine(hadComment, false);
    return out.len == b.length ? b : Arrays.copyOf(out.a, out.len);
  }

  /** Copies a literal [from, to) that may span lines (a text block), ending lines as it goes. */
  private static int copyLiteral(byte[] b, int from, int to, Lines out) {
    for (int j = from; j < to; j++) {
      if (b[j] == '\n') {
        out.endLine(false, true);
      } else {
        out.put(b[j]);
      }
    }
    return to;
  }

  /**
   * The output, written in place: the current line is [lineStart, len), so dropping or trimming it
   * is moving len back. Removing a comment of at least two bytes adds at most one space, so the
   * output never outgrows the input.
   */
  private static final class Lines {
    final byte[] a;
    int len;
    int lineStart;

    Lines(int capacity) {
      a = new byte[capacity];
    }

    void put(byte c) {
      a[len++] = c;
    }

    byte last() {
      return a[len - 1];
    }

    boolean lineIsBlank() {
      for (int j = lineStart; j < len; j++) {
        if (a[j] != ' ' && a[j] != '\t' && a[j] != '\r' && a[j] != '\f') {
          return false;
        }
      }
      return true;
    }

    void dropLine() {
      len = lineStart;
    }

    /** Ends the current line; one that held a comment loses its trailing blanks, and goes if that leaves it blank. */
    void endLine(boolean hadComment, boolean newline) {
      if (hadComment) {
        while (len > lineStart && (a[len - 1] == ' ' || a[len - 1] == '\t')) {
          len--;
        }
        if (lineIsBlank()) {
          dropLine();
          return;
        }
      }
      if (newline) {
        put((byte) '\n');
      }
      lineStart = len;
    }
  }

  private static int indexOfTextBlockEnd(byte[] b, int from) {
    for (int j = from; j + 2 < b.length; j++) {
      if (b[j] == '\\') {
        j++;
      } else if (b[j] == '"' && b[j + 1] == '"' && b[j + 2] == '"') {
        return j + 3;
      }
    }
    return b.length;
  }

  private static int skipBlank(byte[] b, int i) {
    while (i < b.length && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n' || b[i] == '\f')) {
      i++;
    }
    return i;
  }

  private static boolean startsWith(byte[] b, int i, char x, char y) {
    return i + 1 < b.length && b[i] == x && b[i + 1] == y;
  }

  private static int indexOf(byte[] b, int from, char x, char y) {
    for (int j = from; j + 1 < b.length; j++) {
      if (b[j] == x && b[j + 1] == y) {
        return j;
      }
    }
    return -1;
  }
}
