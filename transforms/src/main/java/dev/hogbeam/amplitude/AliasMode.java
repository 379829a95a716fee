package dev.hogbeam.amplitude;

/** How a (device, user) pair seen for the first time is told to PostHog. */
public enum AliasMode {
  /**
   * {@code $create_alias} with distinct_id = the device id and properties.alias = the user id, as
   * PostHog's Amplitude migration guide does ({@code alias(previous_id=device_id,
   * distinct_id=user_id)} in posthog-python). The default.
   */
  CREATE_ALIAS("$create_alias"),
  /**
   * {@code $identify} with distinct_id = the user id and properties.$anon_distinct_id = the device
   * id, as PostHog's managed Amplitude import does. PostHog ignores it when the device's person is
   * already identified.
   */
  IDENTIFY("$identify"),
  /** No alias events. */
  NONE("");

  private final String eventName;

  AliasMode(String eventName) {
    this.eventName = eventName;
  }

  /** The PostHog event name ("" for {@link #NONE}). */
  public String eventName() {
    return eventName;
  }
}
