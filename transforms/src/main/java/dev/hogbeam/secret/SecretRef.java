package dev.hogbeam.secret;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where a secret (a password, an API key) can be read, without the secret itself: what a DoFn
 * carries instead of the value, so the value never enters the serialized pipeline, its options or
 * its display data. A worker resolves the reference once, at setup.
 *
 * <ul>
 *   <li>{@link #env}: an environment variable of the worker process;
 *   <li>{@link #file}: a file on any Beam file system ({@code gs://}, {@code s3://}, local); its
 *       content with surrounding whitespace removed;
 *   <li>{@link #secretManager}: a Google Cloud Secret Manager version ({@code
 *       projects/P/secrets/S/versions/V}), read with the process's application-default credentials
 *       ({@link SecretManagerAccess});
 *   <li>{@link #inMemory}: the value itself, kept in this JVM's {@link InMemorySecrets} under a
 *       random id; only the id is serialized, so it resolves only in the JVM that made it (the
 *       DirectRunner, an embedded Flink).
 * </ul>
 *
 * <p>{@link #toString()} and every message name the reference (the variable, the path), never the
 * value.
 */
public final class SecretRef implements Serializable {
  private static final long serialVersionUID = 1L;

  /** How the secret is found. */
  public enum Kind {
    ENV,
    FILE,
    SECRET_MANAGER,
    IN_MEMORY
  }

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Pattern SECRET_VERSION =
      Pattern.compile(
          "projects/[A-Za-z0-9-_]{1,64}/secrets/[A-Za-z0-9-_]{1,255}/versions/[A-Za-z0-9-_]{1,64}");

  /** Longest secret accepted (the largest of hogbeam's secrets is far shorter). */
  static final int MAX_SECRET_BYTES = 64 * 1024;

  private final Kind kind;
  private final String name;
  private final String hint;

  /** With a {@link SecretMap} secret: the entry this reference stands for, else null. */
  private final @Nullable String entry;

  private transient volatile @Nullable String resolved;

  private SecretRef(Kind kind, String name, String hint) {
    this(kind, name, hint, null);
  }

  private SecretRef(Kind kind, String name, String hint, @Nullable String entry) {
    this.kind = kind;
    this.name = name;
    this.hint = hint;
    this.entry = entry;
  }

  /**
   * The environment variable {@code variable} of the process that resolves the reference.
   *
   * @param hint how a user gives this secret another way, for messages (flags, not values)
   */
  public static SecretRef env(String variable, String hint) {
    checkArgument(
        variable != null && ENV_NAME.matcher(variable).matches(),
        "not an environment variable name: %s",
        variable);
    return new SecretRef(Kind.ENV, variable, hintOrEmpty(hint));
  }

  /** A file on any Beam file system, read whole; surrounding whitespace is ignored. */
  public static SecretRef file(String path, String hint) {
    checkArgument(path != null && !path.isBlank(), "the secret's file path is empty");
    return new SecretRef(Kind.FILE, path.strip(), hintOrEmpty(hint));
  }

  /** A Secret Manager secret version: {@code projects/P/secrets/S/versions/V}. */
  public static SecretRef secretManager(String version, String hint) {
    checkArgument(
        version != null && SECRET_VERSION.matcher(version).matches(),
        "not a Secret Manager secret version (projects/PROJECT/secrets/SECRET/versions/VERSION):"
            + " %s",
        version);
    return new SecretRef(Kind.SECRET_MANAGER, version, hintOrEmpty(hint));
  }

  /**
   * The value itself, held by this JVM only ({@link InMemorySecrets}); the reference carries a
   * random id. For runners that run the pipeline inside this JVM.
   */
  public static SecretRef inMemory(String value, String hint) {
    checkArgument(value != null && !value.isBlank(), "the secret is empty");
    SecretRef ref = new SecretRef(Kind.IN_MEMORY, InMemorySecrets.put(value.strip()), hint);
    ref.resolved = value.strip();
    return ref;
  }

  /**
   * This reference, with the value this JVM already read another way (the launcher's view of the
   * environment, say): this JVM then uses {@code value}, kept transiently; other JVMs read the
   * reference.
   */
  public SecretRef knownHere(String value) {
    checkArgument(value != null && !value.isBlank(), "the secret is empty");
    SecretRef ref = new SecretRef(kind, name, hint, entry);
    ref.resolved = value.strip();
    return ref;
  }

  /**
   * Entry {@code entryName} of the {@link SecretMap} this reference holds (one project's key of a
   * file of keys, say): it travels as this reference plus the entry's name, and resolves to that
   * entry's value. {@code value}, when not null, is that value as this JVM already read it.
   */
  public SecretRef entry(String entryName, @Nullable String value) {
    checkArgument(entry == null, "%s is already one entry of a secret", this);
    checkArgument(entryName != null && !entryName.isEmpty(), "the entry's name is empty");
    SecretRef ref = new SecretRef(kind, name, hint, entryName);
    if (value != null) {
      ref.resolved = check(value);
    }
    return ref;
  }

  public Kind kind() {
    return kind;
  }

  /** Whether the reference resolves in another JVM too (all kinds but {@link Kind#IN_MEMORY}). */
  public boolean travels() {
    return kind != Kind.IN_MEMORY;
  }

  /**
   * The secret, read on first use and kept (transiently: never serialized). Throws {@link
   * IllegalStateException} naming the reference, never the value, when it cannot be read or is
   * empty.
   */
  public String resolve() {
    String value = resolved;
    if (value == null) {
      value = check(read());
      if (entry != null) {
        String one;
        try {
          one = SecretMap.parse(value, source()).get(entry);
        } catch (IllegalArgumentException e) {
          throw new IllegalStateException(e.getMessage() + hintText(), null);
        }
        if (one == null) {
          throw new IllegalStateException(this + " has no entry" + hintText());
        }
        value = check(one);
      }
      resolved = value;
    }
    return value;
  }

  private String read() {
    switch (kind) {
      case ENV:
        {
          String v = System.getenv(name);
          if (v == null) {
            throw new IllegalStateException(
                "the environment variable " + name + " is not set in this process" + hintText());
          }
          return v;
        }
      case FILE:
        return readFile(name);
      case SECRET_MANAGER:
        return SecretManagerAccess.access(name);
      default:
        {
          String v = InMemorySecrets.get(name);
          if (v == null) {
            throw new IllegalStateException(
                "a secret given as a value on the command line reached a worker of a remote"
                    + " runner, where it cannot be read (values stay in the launching JVM)"
                    + hintText());
          }
          return v;
        }
    }
  }

  private String check(String value) {
    String v = value.strip();
    if (v.isEmpty()) {
      throw new IllegalStateException("the secret in " + this + " is empty" + hintText());
    }
    return v;
  }

  private String readFile(String path) {
    try (InputStream in =
        Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(path, false)))) {
      byte[] bytes = in.readNBytes(MAX_SECRET_BYTES + 1);
      if (bytes.length > MAX_SECRET_BYTES) {
        throw new IllegalStateException(
            "the file " + path + " is longer than " + MAX_SECRET_BYTES + " bytes: not a secret");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "the secret file "
              + path
              + " cannot be read: "
              + e.getClass().getSimpleName()
              + hintText(),
          e);
    }
  }

  private String hintText() {
    return hint.isEmpty() ? "" : "; " + hint;
  }

  private static String hintOrEmpty(String hint) {
    return hint == null ? "" : hint;
  }

  /** What the reference names, for messages and display data; never the value. */
  @Override
  public String toString() {
    return entry == null ? source() : "entry \"" + entry + "\" of " + source();
  }

  private String source() {
    switch (kind) {
      case ENV:
        return "environment variable " + name;
      case FILE:
        return "file " + name;
      case SECRET_MANAGER:
        return "Secret Manager " + name;
      default:
        return "a value held in the launching JVM";
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretRef
        && ((SecretRef) o).kind == kind
        && ((SecretRef) o).name.equals(name)
        && Objects.equals(((SecretRef) o).entry, entry);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, name, entry);
  }
}
