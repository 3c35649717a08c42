// The admission check every Sinter connection passes before it carries anything: a mutual
// HMAC-SHA256 challenge–response over the job's secret. The server proves nothing until the client
// has proved itself, the secret never crosses the wire, and each side's proof covers both fresh
// nonces and both identities, so a proof can be neither replayed nor reflected back.
//
//   server → client  HELLO  nonce_s (32 B)
//   client → server  PROOF  nonce_c (32 B) | mac_c (32 B) | identity_c
//   server → client  ACCEPT mac_s (32 B) | identity_s        or  REJECT reason
//
//   mac_c = HMAC(secret, "sinter-client-v1" | nonce_s | nonce_c | identity_c)
//   mac_s = HMAC(secret, "sinter-server-v1" | nonce_c | nonce_s | identity_c | identity_s)
//
// Every message is framed: magic "SNHS" (u32), version (u8), type (u8), payload length (u16), all
// big-endian, and a length above the cap is refused before anything is allocated. The secret admits
// a peer; it does not encrypt or sign the traffic that follows (use a private network or a tunnel
// when that matters).
package dev.sinter.comm;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Mutual challenge–response over a per-job secret, for the store and the data plane alike. */
final class Handshake {
  static final int MAGIC = 0x534E4853; // "SNHS"
  static final int VERSION = 1;
  static final int NONCE = 32;
  static final int MAC = 32;
  /** Largest identity either side may present; bigger payloads are refused unread. */
  static final int MAX_IDENTITY = 1024;

  private static final int HELLO = 1;
  private static final int PROOF = 2;
  private static final int ACCEPT = 3;
  private static final int REJECT = 4;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Handshake() {}

  /** The other end does not know the job's secret, or refused ours. */
  static final class Refused extends IOException {
    Refused(String message) {
      super(message);
    }
  }

  /**
   * Server side: challenges the client and, if it proves the secret, proves it back.
   *
   * @return the client's identity
   * @throws Refused after telling the client so, when its proof is wrong
   * @throws IOException when the client speaks something else or goes away
   */
  static byte[] serve(InputStream in, OutputStream out, byte[] secret, byte[] identity) throws IOException {
    DataInputStream din = new DataInputStream(in);
    DataOutputStream dout = new DataOutputStream(out);
    byte[] nonceS = nonce();
    write(dout, HELLO, nonceS);
    byte[] proof = read(din, PROOF);
    if (proof.length < NONCE + MAC) {
      throw new IOException("handshake proof too short (" + proof.length + " bytes)");
    }
    byte[] nonceC = slice(proof, 0, NONCE);
    byte[] macC = slice(proof, NONCE, MAC);
    byte[] idC = slice(proof, NONCE + MAC, proof.length - NONCE - MAC);
    if (!MessageDigest.isEqual(macC, mac(secret, "sinter-client-v1", nonceS, nonceC, idC))) {
      write(dout, REJECT, "wrong job secret".getBytes(StandardCharsets.UTF_8));
      throw new Refused("it does not know this job's secret");
    }
    write(dout, ACCEPT, concat(mac(secret, "sinter-server-v1", nonceC, nonceS, idC, identity), identity));
    return idC;
  }

  /**
   * Client side: answers the server's challenge and checks the server's proof.
   *
   * @return the server's identity
   * @throws Refused when the server rejects our proof or cannot prove the secret itself
   */
  static byte[] join(InputStream in, OutputStream out, byte[] secret, byte[] identity) throws IOException {
    DataInputStream din = new DataInputStream(in);
    DataOutputStream dout = new DataOutputStream(out);
    byte[] nonceS = read(din, HELLO);
    if (nonceS.length != NONCE) {
      throw new IOException("handshake challenge has " + nonceS.length + " bytes, expected " + NONCE);
    }
    byte[] nonceC = nonce();
    write(dout, PROOF, concat(concat(nonceC, mac(secret, "sinter-client-v1", nonceS, nonceC, identity)), identity));
    byte[] reply = read(din, ACCEPT);
    if (reply.length < MAC) {
      throw new IOException("handshake acceptance too short (" + reply.length + " bytes)");
    }
    byte[] idS = slice(reply, MAC, reply.length - MAC);
    if (!MessageDigest.isEqual(slice(reply, 0, MAC), mac(secret, "sinter-server-v1", nonceC, nonceS, identity, idS))) {
      throw new Refused("it could not prove it knows this job's secret");
    }
    return idS;
  }

  /** Writes one message in a single call: the data plane runs this on an unbuffered socket stream. */
  private static void write(DataOutputStream out, int type, byte[] payload) throws IOException {
    java.nio.ByteBuffer m = java.nio.ByteBuffer.allocate(8 + payload.length);
    m.putInt(MAGIC).put((byte) VERSION).put((byte) type).putShort((short) payload.length).put(payload);
    out.write(m.array());
    out.flush();
  }

  /** Reads one message, which must be {@code expected} (or a REJECT, which becomes {@link Refused}). */
  private static byte[] read(DataInputStream in, int expected) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException(String.format("not a Sinter handshake (magic 0x%08x)", magic));
    }
    int version = in.readUnsignedByte();
    if (version != VERSION) {
      throw new IOException("handshake version " + version + ", this build speaks " + VERSION);
    }
    int type = in.readUnsignedByte();
    int len = in.readUnsignedShort();
    if (len > NONCE + MAC + MAX_IDENTITY) {
      throw new IOException("handshake message of " + len + " bytes exceeds the cap");
    }
    byte[] payload = new byte[len];
    in.readFully(payload);
    if (type == REJECT) {
      throw new Refused("it refused this job's secret");
    }
    if (type != expected) {
      throw new IOException("unexpected handshake message type " + type + ", expected " + expected);
    }
    return payload;
  }

  private static byte[] mac(byte[] secret, String label, byte[]... parts) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(secret, "HmacSHA256"));
      m.update(label.getBytes(StandardCharsets.US_ASCII));
      for (byte[] p : parts) {
        // Length-prefix each part so that moving bytes between adjacent parts changes the MAC.
        m.update(new byte[] {(byte) (p.length >>> 8), (byte) p.length});
        m.update(p);
      }
      return m.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private static byte[] nonce() {
    byte[] b = new byte[NONCE];
    RANDOM.nextBytes(b);
    return b;
  }

  private static byte[] slice(byte[] b, int off, int len) {
    byte[] r = new byte[len];
    System.arraycopy(b, off, r, 0, len);
    return r;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  /** Rejects secrets too short to resist guessing, naming where the secret came from. */
  static byte[] checkSecret(byte[] secret, String source) {
    if (secret == null || secret.length < 16) {
      throw new IllegalArgumentException(source + " must be at least 16 bytes (e.g. `openssl rand -hex 32`), got "
          + (secret == null ? "none" : secret.length + ""));
    }
    return secret.clone();
  }
}
