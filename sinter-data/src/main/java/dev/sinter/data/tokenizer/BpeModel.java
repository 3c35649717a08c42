// The immutable tables behind a BpeTokenizer, validated once: every id's bytes, the base token of
// each byte, the merges by rank and what each produces, and the special tokens. Built by the
// trainer and by the tokenizer.json loader; shared read-only by all encoders.
package dev.sinter.data.tokenizer;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

final class BpeModel {

  /** Bumped whenever the canonical form hashed below changes. */
  private static final String HASH_FORMAT = "sinter-bpe-v1";

  final byte[][] tokens;
  final boolean[] special;
  final int[] byteToId = new int[256];
  final int[] mergeLeft;
  final int[] mergeRight;
  final int[] mergeResult;
  final PairTable ranks;
  final ByteSliceTable regularTokens = new ByteSliceTable(1024, 8192);
  final int[] regularTokenIds;
  final boolean ignoreMerges;
  final Map<String, Integer> specials;
  final String hash;

  /**
   * @param tokens the bytes of every id, special tokens as their UTF-8 text
   * @param specials special-token text to id
   * @param mergeLeft left id of each merge, by rank
   * @param mergeRight right id of each merge, by rank
   * @param ignoreMerges whether a word that is itself a token skips the merges (Llama-3's option)
   * @throws IllegalArgumentException saying which id, byte or merge is inconsistent
   */
  BpeModel(
      byte[][] tokens,
      Map<String, Integer> specials,
      int[] mergeLeft,
      int[] mergeRight,
      boolean ignoreMerges) {
    if (mergeLeft.length != mergeRight.length) {
      throw new IllegalArgumentException("merge sides differ in length");
    }
    this.tokens = tokens.clone();
    this.special = new boolean[tokens.length];
    this.mergeLeft = mergeLeft.clone();
    this.mergeRight = mergeRight.clone();
    this.ignoreMerges = ignoreMerges;

    Map<String, Integer> byId = new LinkedHashMap<>();
    specials.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(e -> byId.put(e.getKey(), e.getValue()));
    for (Map.Entry<String, Integer> e : byId.entrySet()) {
      int id = e.getValue();
      if (id < 0 || id >= tokens.length) {
        throw new IllegalArgumentException(
            "special token "
                + e.getKey()
                + " has id "
                + id
                + ", outside [0, "
                + tokens.length
                + ")");
      }
      if (special[id]) {
        throw new IllegalArgumentException("two special tokens share id " + id);
      }
      if (!Arrays.equals(tokens[id], e.getKey().getBytes(StandardCharsets.UTF_8))) {
        throw new IllegalArgumentException(
            "special token " + e.getKey() + " has id " + id + ", which holds another token");
      }
      special[id] = true;
    }
    this.specials = Collections.unmodifiableMap(byId);

    Arrays.fill(byteToId, -1);
    this.regularTokenIds = new int[tokens.length];
    for (int id = 0; id < tokens.length; id++) {
      byte[] t = tokens[id];
      if (t == null || t.length == 0) {
        throw new IllegalArgumentException("id " + id + " has no token (ids must be dense)");
      }
      if (special[id]) {
        continue;
      }
      int e = regularTokens.findOrAdd(t, 0, t.length);
      if (e >= 0) {
        throw new IllegalArgumentException(
            "ids "
                + regularTokenIds[e]
                + " and "
                + id
                + " are the same token "
                + ByteLevel.describe(t));
      }
      regularTokenIds[-e - 1] = id;
      if (t.length == 1) {
        byteToId[t[0] & 0xFF] = id;
      }
    }
    for (int b = 0; b < 256; b++) {
      if (byteToId[b] < 0) {
        throw new IllegalArgumentException(
            String.format(
                "byte 0x%02X has no single-byte token; a byte-level vocabulary needs all 256", b));
      }
    }

    this.ranks = new PairTable(mergeLeft.length);
    this.mergeResult = new int[mergeLeft.length];
    for (int r = 0; r < mergeLeft.length; r++) {
      int a = mergeLeft[r];
      int b = mergeRight[r];
      checkMergePart(r, a);
      checkMergePart(r, b);
      byte[] joined = new byte[tokens[a].length + tokens[b].length];
      System.arraycopy(tokens[a], 0, joined, 0, tokens[a].length);
      System.arraycopy(tokens[b], 0, joined, tokens[a].length, tokens[b].length);
      int e =
          regularTokens.find(
              joined, 0, joined.length, ByteSliceTable.hash(joined, 0, joined.length));
      if (e < 0) {
        throw new IllegalArgumentException(
            "merge "
                + r
                + " ("
                + ByteLevel.describe(tokens[a])
                + " + "
                + ByteLevel.describe(tokens[b])
                + ") produces "
                + ByteLevel.describe(joined)
                + ", which is not in the vocabulary");
      }
      mergeResult[r] = regularTokenIds[e];
      int earlier = ranks.putIfAbsent(PairTable.key(a, b), r);
      if (earlier >= 0) {
        throw new IllegalArgumentException("merge " + r + " repeats merge " + earlier);
      }
    }
    this.hash = computeHash();
  }

  private void checkMergePart(int rank, int id) {
    if (id < 0 || id >= tokens.length || special[id]) {
      throw new IllegalArgumentException(
          "merge " + rank + " uses id " + id + ", which is not a regular token");
    }
  }

  int vocabSize() {
    return tokens.length;
  }

  int mergeCount() {
    return mergeLeft.length;
  }

  /**
   * SHA-256 over a canonical form: format tag, pre-tokeniser pattern, options, every id's bytes and
   * kind, and the merges as id pairs by rank. File layout (JSON key order, merge syntax) does not
   * enter, so a tokenizer and its saved-and-loaded copy hash the same.
   */
  private String computeHash() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      DataOutputStream out =
          new DataOutputStream(
              new BufferedOutputStream(
                  new DigestOutputStream(OutputStream.nullOutputStream(), sha), 1 << 16));
      out.writeUTF(HASH_FORMAT);
      out.writeUTF(PreTokenizer.GPT2_PATTERN);
      out.writeBoolean(ignoreMerges);
      out.writeInt(tokens.length);
      for (int id = 0; id < tokens.length; id++) {
        out.writeBoolean(special[id]);
        out.writeInt(tokens[id].length);
        out.write(tokens[id]);
      }
      out.writeInt(mergeLeft.length);
      for (int r = 0; r < mergeLeft.length; r++) {
        out.writeInt(mergeLeft[r]);
        out.writeInt(mergeRight[r]);
      }
      out.flush();
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
