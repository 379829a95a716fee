package dev.hogbeam.pipeline.options;

import dev.hogbeam.secret.SecretRef;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Finds a secret from, in order: its flag, a file flag, an environment variable; and decides how it
 * reaches the workers ({@link SecretRef}). The value is never part of any message this class
 * produces.
 *
 * <p>Per runner:
 *
 * <ul>
 *   <li>in this JVM (the DirectRunner, an embedded Flink): a value given on the command line or in
 *       the environment is handed to the pipeline in memory ({@link SecretRef#inMemory});
 *   <li>elsewhere (a Flink cluster, Dataflow): a value on the command line is refused; the
 *       environment variable is read by each worker from its own environment; a file flag is read
 *       by each worker from the file (any Beam file system).
 * </ul>
 *
 * <p>On every runner a file flag stays a reference to the file, and a file flag of the form {@code
 * secretmanager:projects/P/secrets/S/versions/V} names a Google Cloud Secret Manager version. The
 * launcher reads every secret too (to check it, to plan the read, to name the checkpoints).
 */
public final class Secrets {
  /** The file-flag prefix of a Secret Manager secret version. */
  public static final String SECRET_MANAGER_PREFIX = "secretmanager:";

  private final Map<String, String> env;
  private final boolean inThisJvm;
  private final String runner;

  private Secrets(Map<String, String> env, boolean inThisJvm, String runner) {
    this.env = env;
    this.inThisJvm = inThisJvm;
    this.runner = runner;
  }

  public static Secrets fromEnvironment() {
    return from(System.getenv());
  }

  /** Secrets for a runner in this JVM. */
  public static Secrets from(Map<String, String> env) {
    return new Secrets(env, true, "DirectRunner");
  }

  /** Secrets for the runner {@code options} choose ({@link RunnerLocation}). */
  public static Secrets forRunner(Map<String, String> env, PipelineOptions options) {
    return new Secrets(env, RunnerLocation.inThisJvm(options), RunnerLocation.describe(options));
  }

  /** A secret as the launcher read it, and where the workers read it. */
  public static final class Secret {
    private final String value;
    private final SecretRef ref;

    Secret(String value, SecretRef ref) {
      this.value = value;
      this.ref = ref;
    }

    /** The value, for the launcher only (to plan, to check); never hand it to a transform. */
    public String value() {
      return value;
    }

    /** What the pipeline carries. */
    public SecretRef ref() {
      return ref;
    }

    @Override
    public String toString() {
      return "secret from " + ref;
    }
  }

  /**
   * @param flag the option's name, for messages ({@code posthogApiKey})
   * @param value the option's value, or null
   * @param fileFlag the file option's name ({@code posthogApiKeyFile})
   * @param file the file option's value, or null
   * @param envVar the environment variable to fall back to
   * @return the secret, or null when none of the three is set
   */
  public @Nullable String resolve(
      String flag, @Nullable String value, String fileFlag, @Nullable String file, String envVar) {
    Secret s = secret(flag, value, fileFlag, file, envVar);
    return s == null ? null : s.value();
  }

  /** As {@link #resolve}, with the reference the pipeline carries. */
  public @Nullable Secret secret(
      String flag, @Nullable String value, String fileFlag, @Nullable String file, String envVar) {
    if (value != null && file != null) {
      throw new IllegalArgumentException(
          "--" + flag + " and --" + fileFlag + " are both set; give one of them");
    }
    String hint = "give it with --" + fileFlag + " or the environment variable " + envVar;
    if (value != null) {
      if (!inThisJvm) {
        throw new IllegalArgumentException(
            "--"
                + flag
                + " cannot be used with "
                + runner
                + ": the value would travel inside the job. Give --"
                + fileFlag
                + "=<a file every worker can read, e.g. gs://...> (or "
                + SECRET_MANAGER_PREFIX
                + "projects/P/secrets/S/versions/V), or set "
                + envVar
                + " in the environment of the launcher and of every worker");
      }
      String v = nonEmpty(value.strip(), "--" + flag);
      return new Secret(v, SecretRef.inMemory(v, hint));
    }
    if (file != null) {
      SecretRef ref;
      try {
        ref =
            file.strip().toLowerCase(Locale.ROOT).startsWith(SECRET_MANAGER_PREFIX)
                ? SecretRef.secretManager(
                    file.strip().substring(SECRET_MANAGER_PREFIX.length()), hint)
                : SecretRef.file(file, "check --" + fileFlag);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--" + fileFlag + ": " + e.getMessage(), e);
      }
      String text;
      try {
        text = ref.resolve();
      } catch (IllegalStateException e) {
        if (e.getMessage() != null && e.getMessage().contains(" is empty")) {
          throw new IllegalArgumentException("the file named by --" + fileFlag + " is empty", e);
        }
        throw new IllegalArgumentException(
            "--"
                + fileFlag
                + "="
                + file
                + " cannot be read: "
                + (e.getCause() == null ? e.getMessage() : e.getCause().getClass().getSimpleName()),
            e);
      }
      return new Secret(text, ref);
    }
    String fromEnv = env.get(envVar);
    if (fromEnv != null && !fromEnv.isBlank()) {
      String v = fromEnv.strip();
      return new Secret(
          v, inThisJvm ? SecretRef.inMemory(v, hint) : SecretRef.env(envVar, hint).knownHere(v));
    }
    return null;
  }

  private static String nonEmpty(String s, String where) {
    if (s.isEmpty()) {
      throw new IllegalArgumentException(where + " is empty");
    }
    return s;
  }
}
