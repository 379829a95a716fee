package dev.hogbeam.pipeline.files;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.hash.Hashing;
import dev.hogbeam.files.JsonLineFiles;
import dev.hogbeam.files.PostHogLines;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.order.KeyedEvents;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.engine.EventSource;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.engine.SendInOrder;
import dev.hogbeam.pipeline.engine.SourceContext;
import dev.hogbeam.pipeline.engine.SourceEvents;
import dev.hogbeam.pipeline.engine.SourcePlan;
import dev.hogbeam.pipeline.engine.SourceRead;
import dev.hogbeam.pipeline.options.FilesOptions;
import dev.hogbeam.pipeline.options.Flags;
import dev.hogbeam.pipeline.options.Secrets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@code hogbeam files --format=posthog}: JSON-lines files of events in PostHog's capture shape, on
 * any Beam file system, into PostHog. The source's part of the migration; the rest is the shared
 * tail ({@link SendInOrder}).
 *
 * <ol>
 *   <li>plan: when the command starts, the files the pattern matches, with their sizes; saved as
 *       {@code plan.json} with the checkpoints, so a re-run means the same files (a file added,
 *       removed or changed in size is refused rather than half-migrated);
 *   <li>read: {@link JsonLineFiles#read()} (plain, gzip or zip; one worker per file), each file's
 *       lines recorded in the ledger when read to its end;
 *   <li>map: {@link PostHogLines} line by line ({@link KeyedEvents#map}), keyed by UTC day ({@code
 *       --orderBy=day}) or person bucket.
 * </ol>
 *
 * <p>Resume: files are read again from the start; the tail's group checkpoints drop what an earlier
 * run delivered (a finished UTC day whole, a group in progress up to its cursor).
 */
public final class PostHogFilesMigration implements EventSource<SourceLine> {
  static final String PLAN_FILE = "plan.json";

  private final String pattern;
  private final List<String> files;
  private final long maxLineBytes;
  private final String description;

  private PostHogFilesMigration(
      String pattern, List<String> files, long maxLineBytes, String description) {
    this.pattern = pattern;
    this.files = files;
    this.maxLineBytes = maxLineBytes;
    this.description = description;
  }

  /** The {@code files} subcommand's {@code --format=posthog}. */
  public static MigrationCommand<FilesOptions> command() {
    return new MigrationCommand<>("files", FilesOptions.class, PostHogFilesMigration::create);
  }

  /** Checks the flags, matches the files and checks them against the checkpoints' plan. */
  public static Migration<SourceLine> create(FilesOptions o, MigrationCommand.Environment env)
      throws IOException {
    if (!"posthog".equals(o.getFormat())) {
      throw new IllegalArgumentException(
          "--format=" + o.getFormat() + " is not read by this command; use --format=posthog");
    }
    Secrets secrets = Secrets.forRunner(env.variables(), o);
    Destination destination = Destination.from(o, secrets);
    Flags.checkPositive("maxLineBytes", o.getMaxLineBytes());
    String pattern = o.getInputFiles().strip();
    List<InputFiles.Matched> matched = InputFiles.match("inputFiles", pattern);

    ObjectMapper json = new ObjectMapper();
    ObjectNode plan = json.createObjectNode();
    plan.put("format", "posthog");
    plan.put("inputFiles", pattern);
    ArrayNode list = plan.putArray("files");
    long bytes = 0;
    for (InputFiles.Matched f : matched) {
      list.addObject().put("path", f.path()).put("bytes", f.bytes());
      bytes += f.bytes();
    }
    String planText = plan.toPrettyString();
    String dir =
        o.getCheckpointDir() != null
            ? o.getCheckpointDir()
            : "hogbeam-checkpoints/files-posthog-"
                + Hashing.sha256()
                    .hashString(pattern, StandardCharsets.UTF_8)
                    .toString()
                    .substring(0, 10)
                + "-"
                + destination.dirSuffix();
    Migration.Setup setup = Migration.Setup.open(o, destination, dir);
    CheckpointStore store = setup.store();
    store.saveOrCheckPlan(
        PLAN_FILE,
        planText,
        saved ->
            ": the files --inputFiles="
                + pattern
                + " matches are not those of its plan.json (a file was added, removed or changed"
                + " size since)");
    String description =
        "source: "
            + matched.size()
            + " PostHog event file(s) matching "
            + pattern
            + " ("
            + bytes
            + " bytes); re-read whole on resume";
    return Migration.of(
        new PostHogFilesMigration(
            pattern,
            matched.stream().map(InputFiles.Matched::path).toList(),
            o.getMaxLineBytes(),
            description),
        setup,
        null);
  }

  @Override
  public SourcePlan plan() {
    return SourcePlan.builder()
        .description(description)
        .shards(files.size())
        .dayGroup("UTC day")
        .rangeEndMicros(Long.MAX_VALUE)
        .build();
  }

  @Override
  public PTransform<PBegin, SourceRead<SourceLine>> read(SourceContext context) {
    JsonLineFiles.ReadFiles read =
        JsonLineFiles.read()
            .from(pattern)
            .withReadProgress(context.ledger())
            .withMaxLineBytes(maxLineBytes);
    return new PTransform<>() {
      @Override
      public SourceRead<SourceLine> expand(PBegin input) {
        JsonLineFiles.LineRead lines = input.apply("Read event files", read);
        return SourceRead.of(lines.getLines(), lines.getDeadLetters());
      }
    };
  }

  @Override
  public PTransform<PCollection<SourceLine>, SourceEvents> map(SourceContext context) {
    return SourceEvents.of(
        "Map PostHog events",
        KeyedEvents.map("Map lines", PostHogLines::map, context.orderingKey()));
  }

  /** A line dead-lettered by the map stage is mapped again from its text. */
  @Override
  public Remapper remapper() {
    return letter -> Remapped.of(PostHogLines.map(letter.source(), letter.payload()));
  }

  /** The plan's files in name order, each line mapped by {@link PostHogLines#map}. */
  @Override
  public Sampler sampler() {
    return visit ->
        JsonLineFiles.sampleFiles(
            files,
            maxLineBytes,
            line -> {
              KeyedEvents.Outcome o = PostHogLines.map(line);
              visit.accept(Sampled.of(line.origin(), line.text(), o.event(), o.deadLetter()));
              return true;
            });
  }
}
