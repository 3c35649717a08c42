// When the all-core probe falls short of threads × one core, the run says so.
package dev.sinter.tensor.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FmaPeakTest {

  @Test
  void aShortAllCoreProbeIsReportedAsContended() {
    FmaPeak.Result busy = new FmaPeak.Result(256, 2, 100.2, 102.3);
    assertTrue(busy.contended());
    String note = busy.contentionNote();
    assertTrue(note.contains("102.3") && note.contains("51 %") && note.contains("2 x 100.2"), note);
  }

  @Test
  void aCleanProbeOrOneThreadIsNot() {
    assertFalse(new FmaPeak.Result(256, 2, 100.2, 197.0).contended());
    assertFalse(new FmaPeak.Result(256, 2, 100.0, 171.0).contended()); // just above the bound
    assertFalse(new FmaPeak.Result(256, 1, 100.0, 60.0).contended());
    assertNull(new FmaPeak.Result(256, 2, 100.2, 197.0).contentionNote());
  }
}
