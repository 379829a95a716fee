package dev.hogbeam.mixpanel;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.hogbeam.secret.SecretRef;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How the Export API is authenticated, as Mixpanel documents it: a service account (HTTP basic
 * {@code user:secret}, the request then names the project) or the project's API secret (HTTP basic
 * with the secret as user name and no password; deprecated by Mixpanel). Secrets are {@link
 * SecretRef}s read where the request is made; they only ever leave this class as the {@code
 * Authorization} header, and {@link #toString()} never shows them.
 */
public final class MixpanelCredentials implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Where a person sets them, for error messages. */
  public static final String FLAGS =
      "--mixpanelServiceAccountUser with --mixpanelServiceAccountSecret (or"
          + " MIXPANEL_SERVICE_ACCOUNT_SECRET) and --mixpanelProjectId, or --mixpanelApiSecret (or"
          + " MIXPANEL_API_SECRET)";

  private final @Nullable String user;
  private final SecretRef secret;

  private MixpanelCredentials(@Nullable String user, SecretRef secret) {
    this.user = user;
    this.secret = checkNotNull(secret, "secret");
  }

  /** A service account: its user name (not secret) and its secret. */
  public static MixpanelCredentials serviceAccount(String user, SecretRef secret) {
    return new MixpanelCredentials(checkNotNull(user, "user"), secret);
  }

  /** The project's API secret. */
  public static MixpanelCredentials apiSecret(SecretRef secret) {
    return new MixpanelCredentials(null, secret);
  }

  public boolean isServiceAccount() {
    return user != null;
  }

  String authorizationHeader() {
    String pair = (user == null ? secret.resolve() + ":" : user + ":" + secret.resolve());
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return user == null
        ? "MixpanelCredentials{API secret from " + secret + "}"
        : "MixpanelCredentials{service account " + user + ", secret from " + secret + "}";
  }
}
