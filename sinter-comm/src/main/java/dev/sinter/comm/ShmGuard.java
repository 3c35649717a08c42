// How a caller writing to a shared-memory peer waits for room in the ring: exactly as a caller
// posting to a TCP peer waits for a credit. The same timeout, then a STALL report to the group and
// the grace for the others' reports, then a failure that blames the members that never joined; and
// the job's first failure, or the peer's goodbye, ends the wait at once, naming peer and operation.
package dev.sinter.comm;

import java.io.IOException;

/** TcpTransport's waiting rules, for one operation's writes to one shared-memory peer. */
record ShmGuard(TcpTransport t, TcpTransport.Peer p, String op, TcpTransport.Stall stall)
    implements ShmChannel.Guard {

  @Override
  public void check() {
    t.check(op);
    if (p.left) {
      throw t.left(p, op);
    }
  }

  @Override
  public long timeoutNs() {
    return t.timeoutNs;
  }

  @Override
  public long graceNs() {
    return t.graceNs;
  }

  @Override
  public void stalled() {
    t.reportStall(stall);
  }

  @Override
  public CommException timedOut() {
    return t.fail(new TcpTransport.Failure(t.timeoutCause(p.rank, stall, "sending to"), op), true);
  }

  @Override
  public CommException closed(IOException cause) {
    check();
    return t.fail(new TcpTransport.Failure(p.describe() + " closed the connection (" + cause.getMessage() + ")", op),
        false);
  }

  @Override
  public CommException interrupted() {
    return new CommException("rank " + t.rank + ": interrupted during " + op);
  }
}
