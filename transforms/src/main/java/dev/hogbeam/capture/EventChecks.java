package dev.hogbeam.capture;

import dev.hogbeam.event.CaptureEvent;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The reasons PostHog would refuse an event that the writer can see without asking it. Such events
 * are dead-lettered without a request: PostHog refuses the WHOLE request for one of them, so
 * sending them would only cost a bisection.
 */
final class EventChecks {
  private EventChecks() {}

  /**
   * Why PostHog would refuse {@code event}, or null.
   *
   * @param jsonBytes the UTF-8 size of the event's JSON as it would be sent
   * @param maxEventBytes the writer's limit on that size
   */
  static @Nullable String problem(CaptureEvent event, long jsonBytes, long maxEventBytes) {
    if (event.event().isEmpty()) {
      return "the event name is empty (PostHog refuses it with 400)";
    }
    if (event.distinctId().isEmpty()) {
      return "the distinct_id is empty (PostHog refuses it with 400)";
    }
    if (!CaptureEvent.isValidUuid(event.uuid())) {
      return "the uuid is not a valid UUID (PostHog refuses it with 400)";
    }
    if (jsonBytes > maxEventBytes) {
      return "the event is "
          + jsonBytes
          + " bytes as JSON, over the limit of "
          + maxEventBytes
          + " bytes per event (PostHog refuses events over about 1 MB)";
    }
    return null;
  }
}
