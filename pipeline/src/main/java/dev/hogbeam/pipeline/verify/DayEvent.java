package dev.hogbeam.pipeline.verify;

import java.util.Comparator;

/** One cell of the comparison: a UTC day ({@code 2024-03-01}) and an event name. */
public record DayEvent(String day, String event) implements Comparable<DayEvent> {
  private static final Comparator<DayEvent> ORDER =
      Comparator.comparing(DayEvent::day).thenComparing(DayEvent::event);

  @Override
  public int compareTo(DayEvent o) {
    return ORDER.compare(this, o);
  }
}
