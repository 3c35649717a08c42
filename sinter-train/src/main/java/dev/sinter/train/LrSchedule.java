// Linear warmup, then cosine decay to a floor: the schedule of GPT-3, Llama and nanoGPT.
package dev.sinter.train;

/** Learning rate as a function of the optimizer step. */
public record LrSchedule(double peak, double floor, int warmupSteps, int totalSteps) {

  /**
   * The learning rate for 0-based {@code step}: (step+1)/warmup·peak during warmup, then a
   * half-cosine from peak at the end of warmup to floor at the last step.
   */
  public double at(int step) {
    if (step < warmupSteps) {
      return peak * (step + 1) / warmupSteps;
    }
    int decaySteps = totalSteps - warmupSteps;
    if (decaySteps <= 1) {
      return peak;
    }
    double progress = Math.min(1.0, (double) (step - warmupSteps) / (decaySteps - 1));
    return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
  }
}
