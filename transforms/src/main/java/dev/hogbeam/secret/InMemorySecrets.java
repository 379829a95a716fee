package dev.hogbeam.secret;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * This JVM's secrets given as values ({@link SecretRef#inMemory}), under random ids. The ids travel
 * with the pipeline; the values never leave the JVM.
 */
final class InMemorySecrets {
  private static final Map<String, String> VALUES = new ConcurrentHashMap<>();

  private InMemorySecrets() {}

  /** Keeps {@code value}; returns its new id. */
  static String put(String value) {
    String id = UUID.randomUUID().toString();
    VALUES.put(id, value);
    return id;
  }

  static @Nullable String get(String id) {
    return VALUES.get(id);
  }
}
