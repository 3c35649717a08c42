// Reads and writes Hugging Face's tokenizer.json for byte-level BPE, so a Sinter tokenizer can be
// used by `tokenizers`/`transformers` and a GPT-2-style file can be used here. Loading checks every
// part that changes the ids a text encodes to and rejects what Sinter would encode differently
// (a normalizer, another split pattern, dropout, ...) with a message naming the file and the field.
// Parsing goes through Jackson's tree model only: no type information is honoured, nothing is
// instantiated from the file, nothing runs.
package dev.sinter.data.tokenizer;

import dev.sinter.data.AtomicFiles;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/** Saves and loads {@link BpeTokenizer}s as Hugging Face tokenizer.json files. */
public final class TokenizerJson {

  private static final JsonFactory JSON =
      JsonFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
          .build();
  private static final ObjectMapper MAPPER =
      new ObjectMapper(JSON).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private TokenizerJson() {}

  /**
   * Loads a byte-level BPE tokenizer.json.
   *
   * @throws IllegalArgumentException if the file is not a byte-level BPE tokenizer Sinter encodes
   *     exactly as Hugging Face would; the message names the file and the offending field
   * @throws IOException if the file cannot be read
   */
  public static BpeTokenizer load(Path file) throws IOException {
    JsonNode root;
    try {
      root = MAPPER.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      throw new IllegalArgumentException(
          file
              + ": not valid JSON"
              + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
              + ": "
              + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(file + ": the top level is not a JSON object");
    }
    return new TokenizerJsonReader(file, root).read();
  }

  /**
   * Writes {@code tokenizer} to {@code file} atomically: a temporary file in the same directory is
   * written, forced to disk, and renamed over the target, so readers see the old file or the new
   * one, never a torn one.
   */
  public static void save(BpeTokenizer tokenizer, Path file) throws IOException {
    Path target = file.toAbsolutePath();
    Path tmp = AtomicFiles.createTemp(target);
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
        write(tokenizer.model(), out);
        out.flush();
        channel.force(true);
      }
      AtomicFiles.moveAtomically(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void write(BpeModel model, OutputStream out) throws IOException {
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.setPrettyPrinter(new TokenizerJsonLayout());
      g.writeStartObject();
      g.writeStringField("version", "1.0");
      g.writeNullField("truncation");
      g.writeNullField("padding");
      g.writeArrayFieldStart("added_tokens");
      for (Map.Entry<String, Integer> s : model.specials.entrySet()) {
        g.writeStartObject();
        g.writeNumberField("id", s.getValue());
        g.writeStringField("content", s.getKey());
        g.writeBooleanField("single_word", false);
        g.writeBooleanField("lstrip", false);
        g.writeBooleanField("rstrip", false);
        g.writeBooleanField("normalized", false);
        g.writeBooleanField("special", true);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeNullField("normalizer");
      g.writeObjectFieldStart("pre_tokenizer");
      writeByteLevelFields(g);
      g.writeEndObject();
      g.writeNullField("post_processor");
      g.writeObjectFieldStart("decoder");
      writeByteLevelFields(g);
      g.writeEndObject();
      g.writeObjectFieldStart("model");
      g.writeStringField("type", "BPE");
      g.writeNullField("dropout");
      g.writeNullField("unk_token");
      g.writeNullField("continuing_subword_prefix");
      g.writeNullField("end_of_word_suffix");
      g.writeBooleanField("fuse_unk", false);
      g.writeBooleanField("byte_fallback", false);
      g.writeBooleanField("ignore_merges", model.ignoreMerges);
      g.writeObjectFieldStart("vocab");
      for (int id = 0; id < model.tokens.length; id++) {
        if (!model.special[id]) {
          g.writeNumberField(ByteLevel.encode(model.tokens[id]), id);
        }
      }
      g.writeEndObject();
      g.writeArrayFieldStart("merges");
      for (int r = 0; r < model.mergeCount(); r++) {
        g.writeStartArray();
        g.writeString(ByteLevel.encode(model.tokens[model.mergeLeft[r]]));
        g.writeString(ByteLevel.encode(model.tokens[model.mergeRight[r]]));
        g.writeEndArray();
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeEndObject();
      g.writeRaw('\n');
    }
  }

  /** ByteLevel with the GPT-2 split and no added space; the decoder ignores the options. */
  private static void writeByteLevelFields(JsonGenerator g) throws IOException {
    g.writeStringField("type", "ByteLevel");
    g.writeBooleanField("add_prefix_space", false);
    g.writeBooleanField("trim_offsets", true);
    g.writeBooleanField("use_regex", true);
  }
}
