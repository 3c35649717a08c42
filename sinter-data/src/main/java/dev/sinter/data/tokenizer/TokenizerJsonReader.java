// Interprets the JSON tree of one tokenizer.json: checks each component against what Sinter
// implements (byte-level BPE, the GPT-2 split, no normalizer, special added tokens) and turns the
// vocabulary and merges into a BpeModel. Every rejection names the file and the JSON path.
package dev.sinter.data.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class TokenizerJsonReader {

  private final Path file;
  private final JsonNode root;

  TokenizerJsonReader(Path file, JsonNode root) {
    this.file = file;
    this.root = root;
  }

  BpeTokenizer read() {
    requireAbsentOrNull("normalizer", "Sinter encodes raw bytes without normalisation");
    requireAbsentOrNull("truncation", "Sinter never truncates in the tokenizer");
    requireAbsentOrNull("padding", "Sinter never pads in the tokenizer");
    checkPreTokenizer(root.get("pre_tokenizer"));
    checkPostProcessor(root.get("post_processor"));
    checkDecoder(root.get("decoder"));

    JsonNode model = root.get("model");
    if (model == null || model.isNull()) {
      throw bad("model", "is missing; a byte-level BPE tokenizer.json has a \"model\" object");
    }
    if (!model.isObject()) {
      throw bad("model", "must be an object, found " + kind(model));
    }
    JsonNode type = model.get("type");
    if (type != null && !"BPE".equals(type.asText(null))) {
      throw bad("model.type", "is " + type + "; only \"BPE\" is supported");
    }
    JsonNode dropout = model.get("dropout");
    if (dropout != null
        && !dropout.isNull()
        && !(dropout.isNumber() && dropout.doubleValue() == 0)) {
      throw bad("model.dropout", "is " + dropout + "; BPE dropout makes encoding random, use null");
    }
    for (String field : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
      JsonNode v = model.get(field);
      if (v != null && !v.isNull() && !v.asText().isEmpty()) {
        throw bad("model." + field, "is " + v + "; byte-level BPE has no word markers, use null");
      }
    }
    if (flag(model, "model.byte_fallback")) {
      throw bad("model.byte_fallback", "is true; that is SentencePiece-style BPE, not byte-level");
    }
    boolean ignoreMerges = flag(model, "model.ignore_merges");

    Map<Integer, byte[]> byId = new HashMap<>();
    Map<String, Integer> regularIds = readVocab(model.get("vocab"), byId);
    Map<String, Integer> specials = readAddedTokens(root.get("added_tokens"), byId);
    byte[][] tokens = new byte[byId.size()][];
    for (Map.Entry<Integer, byte[]> e : byId.entrySet()) {
      if (e.getKey() >= tokens.length) {
        throw bad(
            "model.vocab",
            "ids are not dense: there are "
                + tokens.length
                + " tokens but id "
                + e.getKey()
                + " is used; ids must be 0.."
                + (tokens.length - 1));
      }
      tokens[e.getKey()] = e.getValue();
    }
    int[][] merges = readMerges(model.get("merges"), regularIds);
    try {
      return new BpeTokenizer(new BpeModel(tokens, specials, merges[0], merges[1], ignoreMerges));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  private Map<String, Integer> readVocab(JsonNode vocab, Map<Integer, byte[]> byId) {
    if (vocab == null || vocab.isNull()) {
      throw bad("model.vocab", "is missing");
    }
    if (!vocab.isObject()) {
      throw bad("model.vocab", "must be an object of token -> id, found " + kind(vocab));
    }
    Map<String, Integer> ids = new HashMap<>(vocab.size() * 2);
    for (Map.Entry<String, JsonNode> e : vocab.properties()) {
      String where = "model.vocab[" + quote(e.getKey()) + "]";
      int id = readId(e.getValue(), where);
      byte[] bytes = ByteLevel.decode(e.getKey());
      if (bytes == null || bytes.length == 0) {
        throw bad(
            where,
            "is not a byte-level token: every character must come from the GPT-2"
                + " byte alphabet (printable Latin-1 or U+0100..U+0143)");
      }
      byte[] earlier = byId.putIfAbsent(id, bytes);
      if (earlier != null) {
        throw bad(where, "reuses id " + id + " of " + quote(ByteLevel.encode(earlier)));
      }
      ids.put(e.getKey(), id);
    }
    return ids;
  }

  private Map<String, Integer> readAddedTokens(JsonNode added, Map<Integer, byte[]> byId) {
    Map<String, Integer> specials = new LinkedHashMap<>();
    if (added == null || added.isNull()) {
      return specials;
    }
    if (!added.isArray()) {
      throw bad("added_tokens", "must be an array, found " + kind(added));
    }
    for (int i = 0; i < added.size(); i++) {
      String where = "added_tokens[" + i + "]";
      JsonNode t = added.get(i);
      if (!t.isObject()) {
        throw bad(where, "must be an object, found " + kind(t));
      }
      int id = readId(t.get("id"), where + ".id");
      JsonNode content = t.get("content");
      if (content == null || !content.isTextual() || content.asText().isEmpty()) {
        throw bad(where + ".content", "must be a non-empty string");
      }
      String text = content.asText();
      if (!flag(t, where + ".special")) {
        throw bad(
            where,
            quote(text)
                + " is not special; Hugging Face would match a non-special"
                + " added token inside ordinary text, which Sinter does not do");
      }
      for (String option : List.of("single_word", "lstrip", "rstrip")) {
        if (flag(t, where + "." + option)) {
          throw bad(where + "." + option, "is true; Sinter matches special tokens literally");
        }
      }
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      byte[] inVocab = byId.get(id);
      // GPT-2 lists <|endoftext|> in both places, Llama-3 only here; either is fine if they agree.
      if (inVocab != null && !java.util.Arrays.equals(inVocab, bytes)) {
        throw bad(
            where,
            quote(text)
                + " has id "
                + id
                + ", which model.vocab gives to "
                + quote(ByteLevel.encode(inVocab)));
      }
      if (specials.put(text, id) != null) {
        throw bad(where, quote(text) + " is listed twice");
      }
      byId.put(id, bytes);
    }
    return specials;
  }

  /** Merges as {left ids, right ids}; each side must be a vocabulary token. */
  private int[][] readMerges(JsonNode merges, Map<String, Integer> ids) {
    if (merges == null || merges.isNull()) {
      throw bad("model.merges", "is missing");
    }
    if (!merges.isArray()) {
      throw bad("model.merges", "must be an array, found " + kind(merges));
    }
    List<int[]> pairs = new ArrayList<>(merges.size());
    for (int i = 0; i < merges.size(); i++) {
      String where = "model.merges[" + i + "]";
      JsonNode m = merges.get(i);
      String left;
      String right;
      if (m.isTextual()) {
        // The pre-0.20 form "left right"; a space never occurs inside a byte-level token.
        String s = m.asText();
        if (s.startsWith("#version")) {
          continue;
        }
        String[] parts = s.split(" ", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
          throw bad(where, quote(s) + " is not two tokens separated by one space");
        }
        left = parts[0];
        right = parts[1];
      } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
        left = m.get(0).asText();
        right = m.get(1).asText();
      } else {
        throw bad(where, "must be \"left right\" or [\"left\", \"right\"], found " + m);
      }
      Integer a = ids.get(left);
      Integer b = ids.get(right);
      if (a == null || b == null) {
        throw bad(where, "token " + quote(a == null ? left : right) + " is not in model.vocab");
      }
      pairs.add(new int[] {a, b});
    }
    int[][] sides = new int[2][pairs.size()];
    for (int r = 0; r < pairs.size(); r++) {
      sides[0][r] = pairs.get(r)[0];
      sides[1][r] = pairs.get(r)[1];
    }
    return sides;
  }

  /**
   * Accepts GPT-2's ByteLevel with its built-in split, or Llama-3's layout (Split with a pattern,
   * then ByteLevel without one) when the pattern is GPT-2's.
   */
  private void checkPreTokenizer(JsonNode p) {
    if (p == null || p.isNull()) {
      throw bad("pre_tokenizer", "is missing; byte-level BPE needs a ByteLevel pre-tokenizer");
    }
    String type = p.path("type").asText("");
    if (type.equals("ByteLevel")) {
      checkByteLevelSplit(p, "pre_tokenizer", true);
      return;
    }
    if (type.equals("Sequence")) {
      JsonNode steps = p.get("pretokenizers");
      if (steps != null
          && steps.isArray()
          && steps.size() == 2
          && steps.get(0).path("type").asText("").equals("Split")
          && steps.get(1).path("type").asText("").equals("ByteLevel")) {
        JsonNode split = steps.get(0);
        String pattern = split.path("pattern").path("Regex").asText(null);
        if (!PreTokenizer.GPT2_PATTERN.equals(pattern)) {
          throw bad(
              "pre_tokenizer.pretokenizers[0].pattern",
              "is "
                  + split.get("pattern")
                  + "; Sinter implements only the GPT-2 pattern "
                  + PreTokenizer.GPT2_PATTERN);
        }
        if (!split.path("behavior").asText("").equals("Isolated")
            || flag(split, "pre_tokenizer.pretokenizers[0].invert")) {
          throw bad(
              "pre_tokenizer.pretokenizers[0]",
              "must split with behavior \"Isolated\" and invert false");
        }
        checkByteLevelSplit(steps.get(1), "pre_tokenizer.pretokenizers[1]", false);
        return;
      }
    }
    throw bad(
        "pre_tokenizer",
        "is "
            + abbreviate(p)
            + "; expected ByteLevel, or a Sequence of"
            + " Split (GPT-2 pattern) and ByteLevel");
  }

  private void checkByteLevelSplit(JsonNode byteLevel, String where, boolean regex) {
    if (flag(byteLevel, where + ".add_prefix_space")) {
      throw bad(where + ".add_prefix_space", "is true; Sinter does not insert a leading space");
    }
    JsonNode useRegex = byteLevel.get("use_regex");
    // Hugging Face defaults use_regex to true when the field is absent.
    boolean uses = useRegex == null || useRegex.isNull() || flag(byteLevel, where + ".use_regex");
    if (uses != regex) {
      throw bad(
          where + ".use_regex", "must be " + regex + " here (the GPT-2 split must apply once)");
    }
  }

  private void checkPostProcessor(JsonNode p) {
    if (p != null && !p.isNull() && !p.path("type").asText("").equals("ByteLevel")) {
      throw bad(
          "post_processor",
          "is "
              + abbreviate(p)
              + "; only null or ByteLevel (offsets only)"
              + " keep Hugging Face's ids equal to Sinter's, which adds BOS/EOS itself");
    }
  }

  private void checkDecoder(JsonNode d) {
    if (d == null || d.isNull() || !d.path("type").asText("").equals("ByteLevel")) {
      throw bad(
          "decoder",
          "is "
              + (d == null ? "missing" : abbreviate(d))
              + "; byte-level BPE needs the ByteLevel decoder");
    }
  }

  private void requireAbsentOrNull(String field, String why) {
    JsonNode v = root.get(field);
    if (v != null && !v.isNull()) {
      throw bad(field, "is " + abbreviate(v) + " but must be null: " + why);
    }
  }

  private int readId(JsonNode v, String where) {
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
      throw bad(where, "must be a non-negative integer id, found " + (v == null ? "nothing" : v));
    }
    return v.intValue();
  }

  /** A boolean option that defaults to false; anything but a boolean is an error. */
  private boolean flag(JsonNode parent, String where) {
    JsonNode v = parent.get(where.substring(where.lastIndexOf('.') + 1));
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw bad(where, "must be true or false, found " + kind(v));
    }
    return v.booleanValue();
  }

  private IllegalArgumentException bad(String where, String what) {
    return new IllegalArgumentException(file + ": " + where + " " + what);
  }

  private static String kind(JsonNode v) {
    return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String abbreviate(JsonNode v) {
    String s = v.toString();
    return s.length() <= 120 ? s : s.substring(0, 117) + "...";
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
