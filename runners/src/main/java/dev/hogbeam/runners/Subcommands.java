package dev.hogbeam.runners;

import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.amplitude.AmplitudeMigration;
import dev.hogbeam.pipeline.clickhouse.ClickHouseMigration;
import dev.hogbeam.pipeline.files.FilesCommand;
import dev.hogbeam.pipeline.jdbc.JdbcMigration;
import dev.hogbeam.pipeline.mixpanel.MixpanelMigration;
import dev.hogbeam.pipeline.verify.VerifyCommand;
import java.util.List;

/** The registry of the jar's subcommands. */
public final class Subcommands {

  private Subcommands() {}

  /**
   * Every subcommand of {@code hogbeam.jar}, in the order {@code --help} lists them. A pipeline
   * plugs in with one line, e.g. {@code Subcommand.of("clickhouse", "Migrate ...",
   * ClickHouseCommand::run)}.
   */
  public static List<Subcommand> all() {
    return List.of(
        Subcommand.of(
            "clickhouse",
            "Migrate a self-hosted PostHog's ClickHouse events into PostHog",
            args -> ClickHouseMigration.command().run(args, MigrationCommand.Environment.system())),
        Subcommand.of(
            "amplitude",
            "Migrate Amplitude export files, or Amplitude's Export API, into PostHog",
            args -> AmplitudeMigration.command().run(args, MigrationCommand.Environment.system())),
        Subcommand.of(
            "jdbc",
            "Migrate events from any SQL table or query (PostgreSQL, MariaDB/MySQL, other JDBC"
                + " drivers) into PostHog",
            args -> JdbcMigration.command().run(args, MigrationCommand.Environment.system())),
        Subcommand.of(
            "mixpanel",
            "Migrate Mixpanel's raw Export API, or Mixpanel export files, into PostHog",
            args -> MixpanelMigration.command().run(args, MigrationCommand.Environment.system())),
        Subcommand.of(
            "files",
            "Migrate event files (PostHog, Amplitude, Mixpanel shapes; JSON lines, gzip, zip) from local disk,"
                + " s3:// or gs:// into PostHog",
            args -> FilesCommand.run(args, MigrationCommand.Environment.system())),
        Subcommand.of(
            "verify",
            "Compare a finished migration with PostHog per day and event; --repair re-sends what is"
                + " missing",
            args -> VerifyCommand.run(args, MigrationCommand.Environment.system())),
        Demo.SUBCOMMAND,
        SelfTest.SUBCOMMAND);
  }
}
