package dev.hogbeam.amplitude;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.CaptureEventCoder;
import dev.hogbeam.event.NameUuids;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.order.OrderingKey;
import java.io.IOException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableBiFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Each Amplitude user's final state as one {@code $set}: the {@code user_properties} of the user's
 * latest event that has any, sent 1 µs after the user's latest event of the input, so it arrives
 * after (and, in PostHog's arrival-order {@code $set}, wins over) everything the events set. Per
 * user in parallel (a combine per user id, constant memory per user); the uuid is name-based on the
 * user and the properties, so a re-send is a duplicate PostHog drops.
 */
public final class FinalUserProperties
    extends PTransform<PCollection<SourceLine>, PCollection<KV<String, CaptureEvent>>> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] TIME_FIELDS = {
    "event_time", "client_event_time", "server_received_time"
  };

  private final OrderingKey orderingKey;

  private FinalUserProperties(OrderingKey orderingKey) {
    this.orderingKey = orderingKey;
  }

  /** The final {@code $set} of every user, keyed by {@code orderingKey}'s group. */
  public static FinalUserProperties keyedBy(OrderingKey orderingKey) {
    return new FinalUserProperties(orderingKey);
  }

  @Override
  public PCollection<KV<String, CaptureEvent>> expand(PCollection<SourceLine> lines) {
    KvCoder<Long, KV<Long, String>> state =
        KvCoder.of(VarLongCoder.of(), KvCoder.of(VarLongCoder.of(), StringUtf8Coder.of()));
    return lines
        .apply("User, time and properties", ParDo.of(new ExtractFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), state))
        .apply("Latest per user", Combine.perKey(new Later()))
        .apply("Final $set", ParDo.of(new SetFn(orderingKey)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), CaptureEventCoder.of()));
  }

  /**
   * (latest event time, (time of the latest properties, properties)); a line without properties has
   * time -1 and no text.
   */
  private static final class ExtractFn
      extends DoFn<SourceLine, KV<String, KV<Long, KV<Long, String>>>> {
    @ProcessElement
    public void process(
        @Element SourceLine line, OutputReceiver<KV<String, KV<Long, KV<Long, String>>>> out) {
      JsonNode n;
      try {
        n = JSON.readTree(line.text());
      } catch (IOException e) {
        return; // the migration dead-letters the line
      }
      if (n == null || !n.isObject()) {
        return;
      }
      JsonNode user = n.get("user_id");
      if (user == null || user.isNull() || user.asText().isBlank()) {
        return;
      }
      Long time = time(n);
      if (time == null) {
        return;
      }
      JsonNode props = n.get("user_properties");
      boolean has = props != null && props.isObject() && props.size() > 0;
      out.output(
          KV.of(user.asText(), KV.of(time, has ? KV.of(time, props.toString()) : KV.of(-1L, ""))));
    }

    private static @Nullable Long time(JsonNode n) {
      for (String f : TIME_FIELDS) {
        JsonNode t = n.get(f);
        if (t != null && t.isTextual() && !t.asText().isBlank()) {
          try {
            return AmplitudeTimes.parseMicros(t.asText());
          } catch (IllegalArgumentException e) {
            return null;
          }
        }
      }
      return null;
    }
  }

  /** The later of two states; properties of equal time decided by their text (deterministic). */
  private static final class Later
      implements SerializableBiFunction<
          KV<Long, KV<Long, String>>, KV<Long, KV<Long, String>>, KV<Long, KV<Long, String>>> {
    @Override
    public KV<Long, KV<Long, String>> apply(
        KV<Long, KV<Long, String>> a, KV<Long, KV<Long, String>> b) {
      KV<Long, String> pa = a.getValue();
      KV<Long, String> pb = b.getValue();
      int c = Long.compare(pa.getKey(), pb.getKey());
      KV<Long, String> props =
          c > 0 || (c == 0 && pa.getValue().compareTo(pb.getValue()) >= 0) ? pa : pb;
      return KV.of(Math.max(a.getKey(), b.getKey()), props);
    }
  }

  private static final class SetFn
      extends DoFn<KV<String, KV<Long, KV<Long, String>>>, KV<String, CaptureEvent>> {
    private final OrderingKey orderingKey;

    SetFn(OrderingKey orderingKey) {
      this.orderingKey = orderingKey;
    }

    @ProcessElement
    public void process(
        @Element KV<String, KV<Long, KV<Long, String>>> user,
        OutputReceiver<KV<String, CaptureEvent>> out)
        throws IOException {
      String props = user.getValue().getValue().getValue();
      if (props.isEmpty()) {
        return; // no event of the user had properties
      }
      long at = user.getValue().getKey() + 1;
      ObjectNode p = JSON.createObjectNode();
      p.set("$set", JSON.readTree(props));
      p.put("$lib", AmplitudeEventMapper.LIB);
      p.put("$geoip_disable", true);
      CaptureEvent e =
          CaptureEvent.of(
              NameUuids.v5("amplitude-final-set\n" + user.getKey() + "\n" + props),
              "$set",
              user.getKey(),
              at,
              p.toString());
      out.output(KV.of(orderingKey.keyFor(user.getKey(), at), e));
    }
  }
}
