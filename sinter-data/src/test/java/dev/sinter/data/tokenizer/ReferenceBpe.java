// Deliberately naive byte-level BPE, written for clarity and not speed, as the oracle for
// differential tests: java.util.regex pre-tokenisation, an encoder that rescans the word for the
// lowest (rank, position) pair after every merge, and a trainer that recounts every pair of every
// word before each merge. Token ids are looked up by bytes, independently of BpeModel's tables.
package dev.sinter.data.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class ReferenceBpe {

  private static final Pattern GPT2 =
      Pattern.compile(PreTokenizer.GPT2_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);

  private ReferenceBpe() {}

  static List<String> pieces(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = GPT2.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /** Encodes valid text with the merges of {@code model}. */
  static int[] encode(BpeModel model, String text) {
    Map<String, Integer> idOf = new HashMap<>();
    for (int id = 0; id < model.tokens.length; id++) {
      if (!model.special[id]) {
        idOf.put(latin1(model.tokens[id]), id);
      }
    }
    Map<String, Integer> rankOf = new HashMap<>();
    for (int r = 0; r < model.mergeCount(); r++) {
      rankOf.put(model.mergeLeft[r] + "," + model.mergeRight[r], r);
    }
    List<Integer> out = new ArrayList<>();
    for (String piece : pieces(text)) {
      List<String> parts = new ArrayList<>();
      for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
        parts.add(latin1(new byte[] {b}));
      }
      while (true) {
        int bestRank = Integer.MAX_VALUE;
        int bestPos = -1;
        for (int i = 0; i + 1 < parts.size(); i++) {
          Integer r = rankOf.get(idOf.get(parts.get(i)) + "," + idOf.get(parts.get(i + 1)));
          if (r != null && r < bestRank) {
            bestRank = r;
            bestPos = i;
          }
        }
        if (bestPos < 0) {
          break;
        }
        parts.set(bestPos, parts.get(bestPos) + parts.remove(bestPos + 1));
      }
      for (String p : parts) {
        out.add(idOf.get(p));
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The merges, as "left,right" id pairs in rank order, learned by recounting before each one. */
  static List<String> trainMerges(List<byte[]> docs, int tokenTarget, long minPairCount) {
    Map<String, Long> wordCounts = new LinkedHashMap<>();
    for (byte[] doc : docs) {
      for (String piece : pieces(new String(doc, StandardCharsets.UTF_8))) {
        wordCounts.merge(latin1(piece.getBytes(StandardCharsets.UTF_8)), 1L, Long::sum);
      }
    }
    List<int[]> words = new ArrayList<>();
    List<Long> freqs = new ArrayList<>();
    for (Map.Entry<String, Long> e : wordCounts.entrySet()) {
      words.add(e.getKey().chars().toArray()); // latin1 chars are the byte values = base ids
      freqs.add(e.getValue());
    }
    List<String> tokens = new ArrayList<>();
    Map<String, Integer> idOf = new HashMap<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(String.valueOf((char) b));
      idOf.put(tokens.get(b), b);
    }
    List<String> merges = new ArrayList<>();
    while (tokens.size() < tokenTarget) {
      Map<Long, Long> pairCounts = new HashMap<>();
      for (int w = 0; w < words.size(); w++) {
        int[] s = words.get(w);
        for (int i = 0; i + 1 < s.length; i++) {
          pairCounts.merge(PairTable.key(s[i], s[i + 1]), freqs.get(w), Long::sum);
        }
      }
      long bestKey = -1;
      long bestCount = 0;
      for (Map.Entry<Long, Long> e : pairCounts.entrySet()) {
        if (e.getValue() > bestCount || (e.getValue() == bestCount && e.getKey() < bestKey)) {
          bestKey = e.getKey();
          bestCount = e.getValue();
        }
      }
      if (bestCount < minPairCount || bestCount == 0) {
        break;
      }
      int a = PairTable.left(bestKey);
      int b = PairTable.right(bestKey);
      String joined = tokens.get(a) + tokens.get(b);
      Integer c = idOf.get(joined);
      if (c == null) {
        c = tokens.size();
        tokens.add(joined);
        idOf.put(joined, c);
      }
      if (!merges.contains(a + "," + b)) {
        merges.add(a + "," + b);
      }
      for (int w = 0; w < words.size(); w++) {
        int[] s = words.get(w);
        int[] t = new int[s.length];
        int n = 0;
        for (int i = 0; i < s.length; i++) {
          if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
            t[n++] = c;
            i++;
          } else {
            t[n++] = s[i];
          }
        }
        words.set(w, Arrays.copyOf(t, n));
      }
    }
    return merges;
  }

  private static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }
}
