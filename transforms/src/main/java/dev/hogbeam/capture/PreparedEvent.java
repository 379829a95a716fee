package dev.hogbeam.capture;

import dev.hogbeam.event.CaptureEvent;

/** An event with its JSON as it will be sent, serialised once, as UTF-8 bytes. */
final class PreparedEvent {
  final CaptureEvent event;

  /** {@link CaptureEvent#toJsonUtf8()}; never modified. */
  final byte[] json;

  PreparedEvent(CaptureEvent event, byte[] json) {
    this.event = event;
    this.json = json;
  }

  int jsonBytes() {
    return json.length;
  }
}
