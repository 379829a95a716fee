package dev.hogbeam.capture;

import dev.hogbeam.event.CaptureEvent;

/** An event with its JSON as it will be sent, serialised once. */
final class PreparedEvent {
  final CaptureEvent event;
  final String json;
  final int jsonBytes;

  PreparedEvent(CaptureEvent event, String json, int jsonBytes) {
    this.event = event;
    this.json = json;
    this.jsonBytes = jsonBytes;
  }
}
