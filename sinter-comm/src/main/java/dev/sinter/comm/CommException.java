// A collective that cannot complete: a peer died, went silent past the deadline, or spoke out of
// turn. The message names the operation and the peer, so every rank's log says the same thing.
package dev.sinter.comm;

/** Unchecked: a communication failure is fatal to the step and, usually, to the job. */
public final class CommException extends RuntimeException {
  public CommException(String message) {
    super(message);
  }

  public CommException(String message, Throwable cause) {
    super(message, cause);
  }
}
