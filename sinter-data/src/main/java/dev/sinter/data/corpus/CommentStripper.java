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

import java.io.ByteArrayOutputStream;
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
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length);
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    boolean hadComment = false;
    int i = 0;
    int n = b.length;
    while (i < n) {
      byte c = b[i];
      if (c == '\n') {
        endLine(out, line, hadComment, true);
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
        if (multiLine && !isBlank(line)) {
          endLine(out, line, true, true);
        } else if (multiLine) {
          line.reset();
        }
        i = stop;
        // Code continues on the same line: keep the tokens apart.
        if (!isBlank(line) && i < n && b[i] != '\n' && b[i] != ' ' && b[i] != '\t'
            && line.toByteArray()[line.size() - 1] != ' ') {
          line.write(' ');
        }
      } else if (c == '"' && startsWith(b, i, '"', '"') && i + 2 < n && b[i + 2] == '"') {
        int end = indexOfTextBlockEnd(b, i + 3);
        i = copyLiteral(b, i, end, out, line);
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && b[j] != c && b[j] != '\n') {
          j += b[j] == '\\' && j + 1 < n && b[j + 1] != '\n' ? 2 : 1;
        }
        int end = j < n && b[j] == c ? j + 1 : j;
        i = copyLiteral(b, i, end, out, line);
      } else {
        line.write(c);
        i++;
      }
    }
    endLine(out, line, hadComment, false);
    byte[] r = out.toByteArray();
    return r.length == b.length ? b : r;
  }

  /** Copies a literal [from, to) that may span lines (a text block), ending lines as it goes. */
  private static int copyLiteral(byte[] b, int from, int to, ByteArrayOutputStream out, ByteArrayOutputStream line) {
    for (int j = from; j < to; j++) {
      if (b[j] == '\n') {
        endLine(out, line, false, true);
      } else {
        line.write(b[j]);
      }
    }
    return to;
  }

  private static void endLine(ByteArrayOutputStream out, ByteArrayOutputStream line, boolean hadComment,
      boolean newline) {
    if (hadComment) {
      trimTrailingBlanks(line);
    }
    if (!(hadComment && isBlank(line))) {
      out.writeBytes(line.toByteArray());
      if (newline) {
        out.write('\n');
      }
    }
    line.reset();
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

  private static boolean isBlank(ByteArrayOutputStream line) {
    byte[] l = line.toByteArray();
    for (byte x : l) {
      if (x != ' ' && x != '\t' && x != '\r' && x != '\f') {
        return false;
      }
    }
    return true;
  }

  private static void trimTrailingBlanks(ByteArrayOutputStream line) {
    byte[] l = line.toByteArray();
    int e = l.length;
    while (e > 0 && (l[e - 1] == ' ' || l[e - 1] == '\t')) {
      e--;
    }
    if (e != l.length) {
      line.reset();
      line.write(l, 0, e);
    }
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
