package dev.hogbeam.capture;

import java.util.List;

/** The dry run: sends nothing and acknowledges everything, so every count is what would be sent. */
final class DiscardTransport implements CaptureTransport {
  private final long envelopeBytes;

  /**
   * @param envelopeBytes size of the request envelope around the events, for the JSON count
   */
  DiscardTransport(long envelopeBytes) {
    this.envelopeBytes = envelopeBytes;
  }

  @Override
  public Encoded encode(List<PreparedEvent> events) {
    long bytes = envelopeBytes + Math.max(0, events.size() - 1);
    for (PreparedEvent e : events) {
      bytes += e.jsonBytes();
    }
    long json = bytes;
    return new Encoded() {
      @Override
      public List<PreparedEvent> events() {
        return events;
      }

      @Override
      public long jsonBytes() {
        return json;
      }

      @Override
      public long wireBytes() {
        return 0;
      }
    };
  }

  @Override
  public Response send(String groupKey, Encoded request) {
    return Response.ok();
  }
}
