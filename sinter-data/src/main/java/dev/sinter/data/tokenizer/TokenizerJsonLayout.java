// The line layout of tokenizer.json as Hugging Face's files have it, one vocabulary entry and one
// merge per line, so the files diff and grep well. Jackson's default printer would put the whole
// merges array on one line; this one indents objects and arrays but keeps an array that sits
// inside an array (a merge pair) on one line.
package dev.sinter.data.tokenizer;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import java.io.IOException;
import java.util.BitSet;

final class TokenizerJsonLayout implements PrettyPrinter {

  private final BitSet inlineAt = new BitSet(); // per nesting depth: is that container inline?
  private final BitSet arrayAt = new BitSet(); // per nesting depth: is that container an array?
  private int depth; // containers open
  private int indent; // of them, those that are not inline

  @Override
  public void writeRootValueSeparator(JsonGenerator g) throws IOException {
    g.writeRaw('\n');
  }

  @Override
  public void writeStartObject(JsonGenerator g) throws IOException {
    open(false);
    g.writeRaw('{');
  }

  @Override
  public void beforeObjectEntries(JsonGenerator g) throws IOException {
    newLine(g);
  }

  @Override
  public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
    g.writeRaw(": ");
  }

  @Override
  public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
    g.writeRaw(',');
    newLine(g);
  }

  @Override
  public void writeEndObject(JsonGenerator g, int entries) throws IOException {
    close();
    if (entries > 0) {
      newLine(g);
    }
    g.writeRaw('}');
  }

  @Override
  public void writeStartArray(JsonGenerator g) throws IOException {
    open(true);
    g.writeRaw('[');
  }

  @Override
  public void beforeArrayValues(JsonGenerator g) throws IOException {
    if (!inlineAt.get(depth)) {
      newLine(g);
    }
  }

  @Override
  public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
    g.writeRaw(',');
    if (inlineAt.get(depth)) {
      g.writeRaw(' ');
    } else {
      newLine(g);
    }
  }

  @Override
  public void writeEndArray(JsonGenerator g, int values) throws IOException {
    boolean inline = inlineAt.get(depth);
    close();
    if (values > 0 && !inline) {
      newLine(g);
    }
    g.writeRaw(']');
  }

  private void open(boolean array) {
    boolean inline = array && arrayAt.get(depth) && depth > 0;
    depth++;
    inlineAt.set(depth, inline);
    arrayAt.set(depth, array);
    if (!inline) {
      indent++;
    }
  }

  private void close() {
    if (!inlineAt.get(depth)) {
      indent--;
    }
    depth--;
  }

  private void newLine(JsonGenerator g) throws IOException {
    g.writeRaw('\n');
    for (int i = 0; i < indent; i++) {
      g.writeRaw("  ");
    }
  }
}
