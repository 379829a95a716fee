package dev.hogbeam.order;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.hash.Hashing;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;

/**
 * Which ordering group an event belongs to. Events of one group are sent in {@code EventOrder};
 * groups are sent in parallel.
 *
 * <ul>
 *   <li>{@link #day()}: the event's UTC day, {@code yyyy-MM-dd}. Each day is in order; days run in
 *       parallel.
 *   <li>{@link #person(int)}: {@code person-NNNN}, a bucket of a hash of the person identity (the
 *       distinct_id for PostHog's own events; Amplitude's user_id when present, else its
 *       device_id). Each person's events are in order across the whole range, which is what PostHog
 *       needs to apply {@code $set} correctly.
 * </ul>
 *
 * <p>Sources choose the identity: the Amplitude conversion keys the alias event of a (device, user)
 * pair by the user id, so it lands in the same group as that user's events and is sent before the
 * user's later events.
 */
public abstract class OrderingKey implements Serializable {
  private static final long serialVersionUID = 1L;

  private OrderingKey() {}

  /** One group per UTC day. */
  public static OrderingKey day() {
    return new Day();
  }

  /** {@code buckets} groups, each holding whole persons. */
  public static OrderingKey person(int buckets) {
    checkArgument(buckets > 0, "person buckets must be > 0, but was %s", buckets);
    return new Person(buckets);
  }

  /**
   * The group of an event of person {@code personId} at {@code timestampMicros} (epoch micros,
   * UTC).
   */
  public abstract String keyFor(String personId, long timestampMicros);

  /**
   * This key with {@code prefix} before every group name ({@code team5-person-0003}): for a run
   * that sends several sources' events (several projects, say), so that groups carry what they
   * belong to.
   */
  public OrderingKey prefixed(String prefix) {
    checkArgument(prefix != null && !prefix.isEmpty(), "the prefix must not be empty");
    return new Prefixed(prefix, this);
  }

  private static final class Prefixed extends OrderingKey {
    private static final long serialVersionUID = 1L;
    private final String prefix;
    private final OrderingKey key;

    Prefixed(String prefix, OrderingKey key) {
      this.prefix = prefix;
      this.key = key;
    }

    @Override
    public String keyFor(String personId, long timestampMicros) {
      return prefix + key.keyFor(personId, timestampMicros);
    }

    @Override
    public String toString() {
      return prefix + key;
    }
  }

  private static final class Day extends OrderingKey {
    private static final long serialVersionUID = 1L;

    @Override
    public String keyFor(String personId, long timestampMicros) {
      long day = Math.floorDiv(timestampMicros, 86_400_000_000L);
      return LocalDate.ofEpochDay(day).toString();
    }

    @Override
    public String toString() {
      return "day";
    }
  }

  private static final class Person extends OrderingKey {
    private static final long serialVersionUID = 1L;
    private final int buckets;
    private final int width;

    Person(int buckets) {
      this.buckets = buckets;
      this.width = Math.max(4, Integer.toString(buckets - 1).length());
    }

    @Override
    public String keyFor(String personId, long timestampMicros) {
      int hash = Hashing.murmur3_32_fixed().hashString(personId, StandardCharsets.UTF_8).asInt();
      String bucket = Integer.toString(Math.floorMod(hash, buckets));
      StringBuilder sb = new StringBuilder(7 + width).append("person-");
      for (int i = bucket.length(); i < width; i++) {
        sb.append('0');
      }
      return sb.append(bucket).toString();
    }

    @Override
    public String toString() {
      return "person(" + buckets + ")";
    }
  }
}
