package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The launcher in this JVM: dispatch, usage, exit codes, runner defaults. */
class HogbeamTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final AtomicReference<String[]> received = new AtomicReference<>();

  private final Subcommand echo =
      Subcommand.of(
          "echo",
          "Remember the arguments",
          args -> {
            received.set(args);
            return 0;
          });
  private final Subcommand exit7 = Subcommand.of("exit-seven", "Exit with 7", args -> 7);
  private final Subcommand badFlag =
      Subcommand.of(
          "bad-flag",
          "Fail like Beam on an unknown flag",
          args -> {
            throw new IllegalArgumentException(
                "Class interface Options missing a property named 'nope'.");
          });
  private final Subcommand broken =
      Subcommand.of(
          "broken",
          "Fail at run time",
          args -> {
            throw new IllegalStateException("the pipeline failed");
          });

  private int run(String... args) {
    RunnerDefaults defaults = new RunnerDefaults(master -> null, null, false, () -> null, 2);
    Hogbeam hogbeam =
        new Hogbeam(
            List.of(echo, exit7, badFlag, broken),
            defaults,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return hogbeam.run(args);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpListsTheSubcommands() {
    assertEquals(0, run("--help"));
    assertTrue(
        out()
            .startsWith(
                "Usage: java -jar hogbeam.jar <subcommand> [--option=value ...]\n\n"
                    + "Subcommands:\n"
                    + "  echo        Remember the arguments\n"
                    + "  exit-seven  Exit with 7\n"),
        out());
    assertEquals("", err());
  }

  @Test
  void noArgumentsIsAUsageError() {
    assertEquals(2, run());
    assertTrue(err().contains("  echo        Remember the arguments\n"), err());
  }

  @Test
  void unknownSubcommand() {
    assertEquals(2, run("clickhuose", "--x=1"));
    assertEquals(
        "hogbeam: unknown subcommand 'clickhuose'; the subcommands are: echo, exit-seven,"
            + " bad-flag, broken (see --help)\n",
        err());
  }

  @Test
  void runnerDefaultsReachTheSubcommand() {
    assertEquals(0, run("echo", "--a=1"));
    assertArrayEquals(
        new String[] {
          "--a=1",
          "--runner=FlinkRunner",
          "--flinkMaster=[local]",
          "--objectReuse=true",
          "--fasterCopy=true",
          "--parallelism=2",
          "--rateLimitShares=1"
        },
        received.get());
  }

  @Test
  void subcommandHelpIsLeftToTheSubcommand() {
    assertEquals(0, run("echo", "--help"));
    assertArrayEquals(new String[] {"--help"}, received.get());
  }

  @Test
  void exitCodesPassThrough() {
    assertEquals(7, run("exit-seven"));
  }

  @Test
  void badFlagsAreUsageErrors() {
    assertEquals(2, run("bad-flag"));
    assertEquals(
        "hogbeam bad-flag: Class interface Options missing a property named 'nope'.\n", err());
    err.reset();
    assertEquals(2, run("echo", "--rateLimitShares=none"));
    assertEquals(
        "hogbeam echo: --rateLimitShares must be a positive integer, but was 'none'\n", err());
  }

  @Test
  void failuresExitWithOne() {
    assertEquals(1, run("broken"));
    assertTrue(
        err()
            .startsWith(
                "hogbeam broken: failed: java.lang.IllegalStateException: the pipeline failed\n"),
        err());
  }

  @Test
  void subcommandNamesAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> Subcommand.of("Click House", "x", a -> 0));
    assertThrows(IllegalArgumentException.class, () -> Subcommand.of("x", "two\nlines", a -> 0));
  }

  @Test
  void theJarRegistersEverySubcommandInHelpOrder() {
    assertEquals(
        List.of(
            "clickhouse", "amplitude", "jdbc", "mixpanel", "files", "verify", "demo", "selftest"),
        Subcommands.all().stream()
            .map(Subcommand::name)
            .collect(java.util.stream.Collectors.toList()));
  }
}
