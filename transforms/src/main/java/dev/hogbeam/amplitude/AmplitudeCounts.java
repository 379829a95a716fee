package dev.hogbeam.amplitude;

import dev.hogbeam.identity.IdentityLinks;
import java.util.List;

/**
 * Names of the exact counts {@link ConvertAmplitudeEvents.Result#counts()} holds (each always
 * present, 0 when nothing happened). The same numbers are also Beam counters.
 */
public final class AmplitudeCounts {
  private AmplitudeCounts() {}

  /** session_start / session_end events dropped (not dead-lettered). */
  public static final String SESSION_EVENTS_DROPPED = "session_events_dropped";

  /** Events dropped because another copy had the same (device_id, $insert_id). */
  public static final String INSERT_ID_DUPLICATES_DROPPED = "insert_id_duplicates_dropped";

  /** (device, user) pairs seen for the first time: one alias event each. */
  public static final String ALIAS_PAIRS_NEW = IdentityLinks.PAIRS_NEW;

  /** Pairs the alias pair store already holds: no alias event. */
  public static final String ALIAS_PAIRS_ALREADY_SENT = IdentityLinks.PAIRS_ALREADY_SENT;

  /**
   * Pairs with an id PostHog refuses to merge (see {@link
   * dev.hogbeam.identity.AliasPairs#isRefusedId}).
   */
  public static final String ALIAS_PAIRS_REFUSED = IdentityLinks.PAIRS_REFUSED;

  /** $groupidentify events made. */
  public static final String GROUP_IDENTIFY_EVENTS = "group_identify_events";

  /** Every name above. */
  public static final List<String> ALL =
      List.of(
          SESSION_EVENTS_DROPPED,
          INSERT_ID_DUPLICATES_DROPPED,
          ALIAS_PAIRS_NEW,
          ALIAS_PAIRS_ALREADY_SENT,
          ALIAS_PAIRS_REFUSED,
          GROUP_IDENTIFY_EVENTS);
}
