// The rendezvous store's wire format, shared by RendezvousStore and StoreClient. After the
// handshake, each request and each reply is one frame (big-endian):
//
//   magic "SNST" (u32) | version (u8) | type (u8) | reserved (u16) | payload length (u32) | payload
//
//   SET   key | value                       → OK
//   GET   timeout_ms (i64) | key            → VALUE bytes, or TIMEOUT
//   WAIT  timeout_ms (i64) | n (u16) | keys → OK, or TIMEOUT naming the missing keys
//   ADD   delta (i64) | key                 → VALUE new value (i64)
//
// where a key is its UTF-8 length (u16) and bytes. A payload longer than MAX_FRAME is refused before
// a buffer is allocated for it, so a confused or hostile peer cannot make the store allocate at will.
package dev.sinter.comm;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Frame layout and codes of the store protocol. */
final class StoreProtocol {
  static final int MAGIC = 0x534E5354; // "SNST"
  static final int VERSION = 1;
  /** Largest payload either side accepts: values are addresses and small blobs, not tensors. */
  static final int MAX_FRAME = 16 << 20;
  static final int MAX_KEY = 4096;

  static final int SET = 1;
  static final int GET = 2;
  static final int WAIT = 3;
  static final int ADD = 4;
  static final int OK = 16;
  static final int VALUE = 17;
  static final int TIMEOUT = 18;
  static final int ERROR = 19;

  private StoreProtocol() {}

  /** One decoded frame. */
  record Frame(int type, byte[] payload) {}

  static void write(DataOutputStream out, int type, byte[] payload) throws IOException {
    out.writeInt(MAGIC);
    out.writeByte(VERSION);
    out.writeByte(type);
    out.writeShort(0);
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
  }

  static Frame read(DataInputStream in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException(String.format("not a store frame (magic 0x%08x)", magic));
    }
    int version = in.readUnsignedByte();
    if (version != VERSION) {
      throw new IOException("store protocol version " + version + ", this build speaks " + VERSION);
    }
    int type = in.readUnsignedByte();
    in.readUnsignedShort();
    int len = in.readInt();
    if (len < 0 || len > MAX_FRAME) {
      throw new IOException("store frame of " + Integer.toUnsignedString(len) + " bytes exceeds the cap of "
          + MAX_FRAME);
    }
    byte[] payload = new byte[len];
    in.readFully(payload);
    return new Frame(type, payload);
  }

  static void writeKey(DataOutputStream out, String key) throws IOException {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    if (k.length > MAX_KEY) {
      throw new IllegalArgumentException("store key longer than " + MAX_KEY + " bytes: " + key.substring(0, 40) + "...");
    }
    out.writeShort(k.length);
    out.write(k);
  }

  static String readKey(DataInputStream in) throws IOException {
    byte[] k = new byte[in.readUnsignedShort()];
    in.readFully(k);
    return new String(k, StandardCharsets.UTF_8);
  }
}
