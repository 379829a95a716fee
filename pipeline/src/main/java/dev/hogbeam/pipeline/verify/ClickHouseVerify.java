package dev.hogbeam.pipeline.verify;

import dev.hogbeam.clickhouse.ClickHouseConnectionConfig;
import dev.hogbeam.clickhouse.ReadPlan;
import dev.hogbeam.pipeline.Destination;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.checkpoint.CheckpointStore;
import dev.hogbeam.pipeline.engine.Migration;
import dev.hogbeam.pipeline.options.ClickHouseOptions;
import dev.hogbeam.pipeline.options.ObjectStorage;
import dev.hogbeam.pipeline.options.Secrets;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * {@code verify} of a {@code hogbeam clickhouse} migration: the source is the ClickHouse table and
 * range of the saved plan ({@code plan.json}), the connection the recorded flags plus the password
 * (again from {@code --clickhousePassword}, {@code --clickhousePasswordFile} or {@code
 * CLICKHOUSE_PASSWORD}).
 */
final class ClickHouseVerify implements VerifyKind {
  static final String PLAN_FILE = "plan.json";
  static final int REPAIR_CHUNK = 1000;

  static ClickHouseOptions options(List<String> args) {
    PipelineOptionsFactory.register(ClickHouseOptions.class);
    String[] flags = args.toArray(new String[0]);
    ClickHouseOptions o = PipelineOptionsFactory.fromArgs(flags).as(ClickHouseOptions.class);
    ObjectStorage.configure(o, flags); // the migration's s3:// settings, checked as it was
    return o;
  }

  static ClickHouseConnectionConfig connection(
      ClickHouseOptions o, MigrationCommand.Environment env) {
    if (o.getClickhouseUrl() == null) {
      throw new IllegalArgumentException(
          "--clickhouseUrl is required (the migration's is not recorded)");
    }
    String password =
        Secrets.from(env.variables())
            .resolve(
                "clickhousePassword",
                o.getClickhousePassword(),
                "clickhousePasswordFile",
                o.getClickhousePasswordFile(),
                "CLICKHOUSE_PASSWORD");
    return ClickHouseConnectionConfig.of(o.getClickhouseUrl(), o.getClickhouseUser(), password);
  }

  static ReadPlan plan(CheckpointStore store) {
    String text = store.readText(PLAN_FILE);
    if (text == null) {
      throw new IllegalArgumentException(
          "--checkpointDir="
              + store.directory()
              + " holds no "
              + PLAN_FILE
              + " of a ClickHouse migration");
    }
    return ReadPlan.fromJson(text);
  }

  @Override
  public VerifySource open(
      List<String> args, MigrationCommand.Environment env, CheckpointStore store) {
    ClickHouseOptions o = options(args);
    return new ClickHouseVerifySource(connection(o, env), plan(store));
  }

  @Override
  public int repair(
      List<String> args,
      MigrationCommand.Environment env,
      CheckpointStore store,
      String missingFile,
      String repairDir) {
    ReadPlan plan = plan(store);
    List<String> repairArgs = MigrationRecord.merge(args, List.of("--checkpointDir=" + repairDir));
    MigrationCommand<ClickHouseOptions> command =
        new MigrationCommand<>(
            "verify --repair",
            ClickHouseOptions.class,
            (o, e) -> {
              Destination destination = Destination.from(o, Secrets.from(e.variables()));
              Migration.Setup setup = Migration.Setup.open(o, destination, repairDir);
              return Migration.of(
                  new ClickHouseRepair(
                      connection(o, e), plan, MissingEvents.chunksByDay(missingFile, REPAIR_CHUNK)),
                  setup,
                  null);
            });
    return command.run(repairArgs.toArray(new String[0]), env);
  }
}
