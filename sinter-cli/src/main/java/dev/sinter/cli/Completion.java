// Streams a model's continuation of a prompt to the console, token by token, through the KV-cache
// generator; shared by `sinter generate` and the demo's closing sample.
package dev.sinter.cli;

import dev.sinter.data.tokenizer.BpeTokenizer;
import dev.sinter.model.Generator;
import dev.sinter.model.Sampler;
import dev.sinter.model.Transformer;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Prompted, sampled, streamed generation. */
final class Completion {
  private Completion() {}

  /** What was generated and how fast. */
  record Result(String text, int tokens, double seconds) {
    double tokensPerSecond() {
      return seconds > 0 ? tokens / seconds : 0;
    }
  }

  /**
   * Feeds {@code prompt}, then samples up to {@code maxNew} tokens (fewer when the context is full
   * or, unless {@code suppressEnd}, when end-of-text is drawn), printing each as it comes.
   *
   * <p>Token healing: the prompt's last token is taken back and the first sampled token must begin
   * with its bytes. A prompt ending in "{\n" otherwise ends on a lone newline token, which in
   * training only precedes an unindented line (the code's "\n        " is one token), so the model
   * answers "}" or a new file instead of a method body.
   *
   * @param suppressEnd never sample end-of-text (the demo wants to show code, not early stops)
   */
  static Result run(Transformer model, BpeTokenizer tok, String prompt, int maxNew, Sampler sampler,
      boolean suppressEnd, PrintWriter o) {
    int[] ids = tok.encode(prompt.getBytes(StandardCharsets.UTF_8));
    if (ids.length == 0) {
      throw new IllegalArgumentException("--prompt is empty; give at least one character");
    }
    byte[] healed = ids.length > 1 && !tok.isSpecial(ids[ids.length - 1])
        ? tok.decodeBytes(new int[] {ids[ids.length - 1]}) : new byte[0];
    int fed = healed.length > 0 ? ids.length - 1 : ids.length;
    int capacity = Math.min(model.config().maxSeqLen(), fed + maxNew);
    if (fed >= capacity) {
      throw new IllegalArgumentException("--prompt is " + ids.length + " tokens; the model's context holds "
          + model.config().maxSeqLen());
    }
    Generator gen = new Generator(model, capacity);
    float[] logits = null;
    for (int i = 0; i < fed; i++) {
      logits = gen.next(ids[i]);
    }
    o.print(prompt);
    StringBuilder text = new StringBuilder(prompt);
    ByteArrayOutputStream pending = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    int produced = 0;
    while (true) {
      if (suppressEnd) {
        logits[tok.endOfText()] = Float.NEGATIVE_INFINITY;
      }
      if (produced == 0 && healed.length > 0) {
        allowOnlyExtensions(tok, healed, logits);
      }
      int next = sampler.sample(logits);
      produced++;
      if (next == tok.endOfText()) {
        break;
      }
      byte[] piece = tok.decodeBytes(new int[] {next});
      // The healed bytes are already printed as the end of the prompt.
      int skip = produced == 1 ? healed.length : 0;
      pending.write(piece, skip, piece.length - skip);
      String s = completeUtf8(pending);
      o.print(s);
      o.flush();
      text.append(s);
      if (produced == maxNew || gen.length() == capacity) {
        break;
      }
      logits = gen.next(next);
    }
    o.println();
    return new Result(text.toString(), produced, (System.nanoTime() - t0) / 1e9);
  }

  /** Leaves finite only the logits of ordinary tokens whose bytes start with {@code prefix}. */
  static void allowOnlyExtensions(BpeTokenizer tok, byte[] prefix, float[] logits) {
    int[] one = new int[1];
    for (int id = 0; id < logits.length; id++) {
      one[0] = id;
      if (id >= tok.vocabSize() || tok.isSpecial(id) || !startsWith(tok.decodeBytes(one), prefix)) {
        logits[id] = Float.NEGATIVE_INFINITY;
      }
    }
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    return b.length >= prefix.length && java.util.Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** Takes the longest prefix of {@code buf} that is complete UTF-8, leaving a split character for later. */
  static String completeUtf8(ByteArrayOutputStream buf) {
    byte[] b = buf.toByteArray();
    int end = b.length;
    int back = 0;
    while (back < Math.min(3, end) && (b[end - 1 - back] & 0xC0) == 0x80) {
      back++;
    }
    if (back < end) {
      int lead = b[end - 1 - back] & 0xFF;
      int need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
      if (need > back) {
        end = end - 1 - back;
      }
    }
    String s = new String(b, 0, end, StandardCharsets.UTF_8);
    buf.reset();
    buf.write(b, end, b.length - end);
    return s;
  }
}
