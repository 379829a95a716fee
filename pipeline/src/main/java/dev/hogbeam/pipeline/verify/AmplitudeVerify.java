package dev.hogbeam.pipeline.verify;

import dev.hogbeam.amplitude.AliasMode;
import dev.hogbeam.amplitude.ConvertAmplitudeEvents;
import dev.hogbeam.order.OrderingKey;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.amplitude.AmplitudeMigration;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.options.AmplitudeOptions;
import dev.hogbeam.pipeline.options.ObjectStorage;
import dev.hogbeam.pipeline.options.Secrets;
import dev.hogbeam.state.StateFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * {@code verify} of a {@code hogbeam amplitude} migration: the input is the migration's {@code
 * --inputFiles}, or, for an Export API migration, the hours in its download cache ({@code
 * <checkpointDir>/downloads} or {@code --downloadCache}); nothing is downloaded again.
 */
final class AmplitudeVerify implements VerifyKind {

  static AmplitudeOptions options(List<String> args) {
    PipelineOptionsFactory.register(AmplitudeOptions.class);
    String[] flags = args.toArray(new String[0]);
    AmplitudeOptions o = PipelineOptionsFactory.fromArgs(flags).as(AmplitudeOptions.class);
    ObjectStorage.configure(o, flags); // the migration's s3:// settings, checked as it was
    return o;
  }

  /** The files the migration read: its input files, or its downloaded hours. */
  static String pattern(AmplitudeOptions o, CheckpointStore store) {
    if (o.getInputFiles() != null) {
      return o.getInputFiles();
    }
    String cache = o.getDownloadCache() != null ? o.getDownloadCache() : store.path("downloads");
    String pattern = cache + (cache.endsWith("/") ? "" : "/") + "*.zip";
    if (!AmplitudeVerifySource.matchesAny(pattern)) {
      throw new IllegalArgumentException(
          "the Export API migration's download cache "
              + cache
              + " holds no hour: verify reads the hours the migration downloaded (give"
              + " --downloadCache if it was elsewhere)");
    }
    return pattern;
  }

  static ConvertAmplitudeEvents conversion(AmplitudeOptions o) {
    return ConvertAmplitudeEvents.create()
        .withKeepEventNames(o.getKeepEventNames())
        .withKeepSessionEvents(o.getKeepSessionEvents())
        .withGroupIdentify(o.getGroupIdentify())
        .withOrderingKey(OrderingKey.day());
  }

  @Override
  public VerifySource open(
      List<String> args, MigrationCommand.Environment env, CheckpointStore store)
      throws IOException {
    AmplitudeOptions o = options(args);
    AliasMode aliasMode = AmplitudeMigration.aliasMode(o.getAliasMode());
    Path work =
        StateFiles.isLocal(store.directory())
            ? Path.of(store.directory())
            : Files.createTempDirectory("hogbeam-verify-");
    return new AmplitudeVerifySource(
        pattern(o, store), null, null, conversion(o), aliasMode, o.getMaxLineBytes(), work);
  }

  @Override
  public int repair(
      List<String> args,
      MigrationCommand.Environment env,
      CheckpointStore store,
      String missingFile,
      String repairDir)
      throws IOException {
    Set<String> missing = new TreeSet<>();
    try (BufferedReader r = MissingEvents.reader(missingFile)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) {
          missing.add(line.substring(line.lastIndexOf('\t') + 1));
        }
      }
    }
    AmplitudeOptions recorded = options(args);
    String pattern = pattern(recorded, store);
    List<String> repairArgs = MigrationRecord.merge(args, List.of("--checkpointDir=" + repairDir));
    MigrationCommand<AmplitudeOptions> command =
        new MigrationCommand<>(
            "verify --repair",
            AmplitudeOptions.class,
            (o, e) -> {
              Destination destination = Destination.from(o, Secrets.from(e.variables()));
              Migration.Setup setup = Migration.Setup.open(o, destination, repairDir);
              return Migration.of(
                  new AmplitudeRepair(pattern, conversion(o), o.getMaxLineBytes(), missing),
                  setup,
                  null);
            });
    return command.run(repairArgs.toArray(new String[0]), env);
  }
}
