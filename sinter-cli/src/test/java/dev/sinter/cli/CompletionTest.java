package dev.sinter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinter.data.tokenizer.BpeTokenizer;
import dev.sinter.data.tokenizer.BpeTrainer;
import dev.sinter.model.ModelConfig;
import dev.sinter.model.Sampler;
import dev.sinter.model.Transformer;
import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.ThreadPool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompletionTest {
  private static BpeTokenizer tokenizer() {
    List<byte[]> docs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      docs.add(("class A" + i + " {\n    int f() {\n        return " + i + ";\n    }\n}\n").getBytes(StandardCharsets.UTF_8));
    }
    return BpeTrainer.train(docs, 400, 1);
  }

  @Test
  void onlyTokensThatExtendTheHealedBytesStayPossible() {
    BpeTokenizer tok = tokenizer();
    byte[] prefix = "\n".getBytes(StandardCharsets.UTF_8);
    float[] logits = new float[tok.vocabSize() + 3]; // a model's vocabulary may be padded past the tokenizer's
    Completion.allowOnlyExtensions(tok, prefix, logits);
    int allowed = 0;
    for (int id = 0; id < logits.length; id++) {
      if (logits[id] != Float.NEGATIVE_INFINITY) {
        allowed++;
        byte[] b = tok.decodeBytes(new int[] {id});
        assertTrue(b.length >= 1 && b[0] == '\n', "token " + id + " does not start with the newline");
      }
    }
    // "\n" itself and at least one indentation token ("\n    ", "\n        ", …) learned from the corpus
    assertTrue(allowed >= 2, "allowed " + allowed);
    int[] newlineIndent = tok.encode("{\n        return".getBytes(StandardCharsets.UTF_8));
    assertTrue(logits[newlineIndent[1]] == 0f, Arrays.toString(newlineIndent));
  }

  @Test
  void theHealedTokenIsPrintedOnceAndTheTextIsWhatWasPrinted() {
    BpeTokenizer tok = tokenizer();
    ModelConfig cfg = new ModelConfig(tok.vocabSize(), 16, 1, 2, 2, 24, 64, "rmsnorm", "swiglu", "rope", false, false,
        1e-5, 10000, 0.3);
    try (ThreadPool pool = new ThreadPool(1)) {
      Transformer model = new Transformer(cfg, Kernels.create("auto", pool), false);
      model.initialize(7);
      StringWriter out = new StringWriter();
      String prompt = "class B {\n    int g() {\n";
      Completion.Result r = Completion.run(model, tok, prompt, 12, new Sampler(1.0, 0, 1.0, 3), true,
          new PrintWriter(out, true));
      assertEquals(r.text() + System.lineSeparator(), out.toString());
      assertTrue(r.text().startsWith(prompt), r.text());
      assertEquals(12, r.tokens());
    }
  }
}
