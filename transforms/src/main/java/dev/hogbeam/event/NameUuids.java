package dev.hogbeam.event;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * Deterministic UUIDs for everything hogbeam makes up (events without a usable source uuid, alias,
 * identify and group-identify events, session ids), for every source. The same input always gives
 * the same UUID, so a re-run re-sends the same uuid and PostHog de-duplicates it; nothing here is
 * random. Version 5 is written out by hand: the JDK only has version 3 (MD5).
 */
public final class NameUuids {
  /** hogbeam's own namespace for name-based (version 5) UUIDs. Never change it. */
  static final UUID NAMESPACE = UUID.fromString("6f0d6a52-3c1e-4b8e-9a57-5b1d2c0a9e41");

  private NameUuids() {}

  /** A version 5 (SHA-1, name-based) UUID of {@code name} in {@link #NAMESPACE}, lower case. */
  public static String v5(String name) {
    return v5(NAMESPACE, name);
  }

  /**
   * A version 5 UUID (RFC 9562: SHA-1 of the namespace's 16 bytes then the name's UTF-8 bytes) of
   * {@code name} in {@code namespace}, lower case.
   */
  public static String v5(UUID namespace, String name) {
    byte[] hash = sha1(namespace, name);
    hash[6] = (byte) ((hash[6] & 0x0f) | 0x50);
    hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
    ByteBuffer b = ByteBuffer.wrap(hash, 0, 16);
    return new UUID(b.getLong(), b.getLong()).toString();
  }

  /**
   * A version 7 UUID whose time part is {@code startMillis} and whose other bits are a hash of
   * {@code name}. PostHog reads a session's start from its UUIDv7 {@code $session_id}, so an
   * Amplitude session (identified by its start in epoch milliseconds, per device) maps to a session
   * id PostHog understands and that sorts by start time.
   *
   * @throws IllegalArgumentException when {@code startMillis} does not fit the 48-bit time field
   */
  public static String v7(long startMillis, String name) {
    if (startMillis < 0 || startMillis >= (1L << 48)) {
      throw new IllegalArgumentException("time out of UUIDv7 range: " + startMillis);
    }
    ByteBuffer hash = ByteBuffer.wrap(sha1(NAMESPACE, name));
    long randA = hash.getShort() & 0x0fffL;
    long randB = hash.getLong() & 0x3fffffffffffffffL;
    long msb = (startMillis << 16) | 0x7000L | randA;
    long lsb = 0x8000000000000000L | randB;
    return new UUID(msb, lsb).toString();
  }

  private static byte[] sha1(UUID namespace, String name) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      ByteBuffer ns = ByteBuffer.allocate(16);
      ns.putLong(namespace.getMostSignificantBits()).putLong(namespace.getLeastSignificantBits());
      sha1.update(ns.array());
      sha1.update(name.getBytes(StandardCharsets.UTF_8));
      return sha1.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }
}
