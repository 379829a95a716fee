package dev.hogbeam.pipeline.amplitude;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hogbeam.amplitude.AliasEvents;
import dev.hogbeam.amplitude.AliasMode;
import dev.hogbeam.event.CaptureEvent;
import dev.hogbeam.event.DeadLetter;
import dev.hogbeam.event.Timestamps;
import dev.hogbeam.pipeline.CommandRun;
import dev.hogbeam.pipeline.report.RunReport;
import dev.hogbeam.testing.AmplitudeExportZipBuilder;
import dev.hogbeam.testing.FakeCaptureServer.ReceivedEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/** Amplitude lines, expected PostHog events and a way to run the command, for the command tests. */
final class AmplitudeTestData {
  /** "Now" for the in-process runs: every range used is well over 48 hours before it. */
  static final Instant NOW = Instant.parse("2024-07-15T00:00:00Z");

  private AmplitudeTestData() {}

  /** The n-th event uuid: {@code 00000000-0000-4000-8000-00000000000n}. */
  static String uuid(int n) {
    return String.format(Locale.ROOT, "00000000-0000-4000-8000-%012d", n);
  }

  /** A realistic exported web event as one line, changed by {@code change}. */
  static String line(
      String uuid,
      String type,
      String user,
      String device,
      String time,
      Consumer<ObjectNode> change) {
    ObjectNode e = AmplitudeExportZipBuilder.webEvent(uuid, type, user, device, time);
    change.accept(e);
    return e.toString();
  }

  static String line(String uuid, String type, String user, String device, String time) {
    return line(uuid, type, user, device, time, e -> {});
  }

  /** What identifies a sent event: compared exactly. */
  record Sent(String uuid, String event, String distinctId, String timestamp) {
    static Sent of(ReceivedEvent e) {
      return new Sent(e.uuid(), e.event(), e.distinctId(), e.timestamp());
    }

    String day() {
      return timestamp.substring(0, 10);
    }
  }

  /** The $create_alias event of a pair first seen at {@code iso}. */
  static Sent alias(String device, String user, String iso) {
    CaptureEvent a = AliasEvents.aliasEvent(AliasMode.CREATE_ALIAS, device, user, micros(iso));
    return new Sent(a.uuid(), "$create_alias", device, iso);
  }

  static long micros(String iso) {
    return Timestamps.toMicros(Instant.parse(iso));
  }

  static final Comparator<Sent> SEND_ORDER =
      Comparator.comparingLong((Sent s) -> micros(s.timestamp())).thenComparing(Sent::uuid);

  /** The events as received, grouped by UTC day (the send group), each in arrival order. */
  static Map<String, List<Sent>> byDay(List<ReceivedEvent> received) {
    Map<String, List<Sent>> out = new LinkedHashMap<>();
    for (ReceivedEvent e : received) {
      Sent s = Sent.of(e);
      out.computeIfAbsent(s.day(), d -> new ArrayList<>()).add(s);
    }
    return out;
  }

  /** Asserts that each day's events arrived in send order (timestamp, then uuid). */
  static void assertSendOrderPerDay(Map<String, List<Sent>> byDay) {
    byDay.forEach(
        (day, events) -> {
          List<Sent> sorted = new ArrayList<>(events);
          sorted.sort(SEND_ORDER);
          assertEquals(sorted, events, "events of " + day + " in send order");
        });
  }

  /** Environment variables with the PostHog key and the Amplitude keys. */
  static Map<String, String> keys(String posthogKey, String amplitudeKey, String amplitudeSecret) {
    return Map.of(
        "POSTHOG_API_KEY",
        posthogKey,
        "AMPLITUDE_API_KEY",
        amplitudeKey,
        "AMPLITUDE_SECRET_KEY",
        amplitudeSecret);
  }

  /**
   * {@code args} with {@code --persons=none} unless they choose: the tests of the event stream
   * assert exactly the events the input makes; the final {@code $set} stage has tests of its own.
   */
  static List<String> withoutFinalState(List<String> args) {
    if (args.stream().anyMatch(a -> a.startsWith("--persons"))) {
      return args;
    }
    List<String> out = new java.util.ArrayList<>(args);
    out.add("--persons=none");
    return out;
  }

  /** Runs {@code hogbeam amplitude} in this JVM with these environment variables. */
  static CommandRun runCommand(Map<String, String> env, List<String> args) {
    return CommandRun.of(AmplitudeMigration.command(), env, withoutFinalState(args), NOW);
  }

  static RunReport report(Path checkpointDir) throws IOException {
    return RunReport.fromJson(Files.readString(checkpointDir.resolve("report.json")));
  }

  /** Every dead letter written into {@code dir}. */
  static List<DeadLetter> deadLetters(Path dir) throws IOException {
    return CommandRun.deadLetters(dir);
  }
}
