package dev.hogbeam.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A throwaway PostgreSQL server: {@code initdb} into a temp directory, {@code pg_ctl start} on a
 * free loopback port, password authentication over TCP (user {@link #USER}, password {@link
 * #password()}), gone on {@link #close()}. PostgreSQL refuses to run as root, so as root the server
 * runs as {@code nobody} ({@code runuser}). Binaries: {@code /usr/lib/postgresql/NN/bin} (Debian's
 * {@code postgresql} package), else the PATH. {@link #available()} tells whether they are there.
 */
public final class LocalPostgres implements AutoCloseable {
  public static final String USER = "hogbeam";
  private static final String PASSWORD = "hogbeam-local-pg";
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  private final Path bin;
  private final Path dir;
  private final int port;
  private final @Nullable String runAs;

  private LocalPostgres(Path bin, Path dir, int port, @Nullable String runAs) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.runAs = runAs;
  }

  /** The directory of {@code initdb} and {@code pg_ctl}, or null. */
  static @Nullable Path binDir() {
    Path initdb = LocalProcesses.find(LocalProcesses.postgresBinDirs(), "initdb");
    if (initdb == null) {
      return null;
    }
    Path bin = initdb.toAbsolutePath().getParent();
    return Files.isExecutable(bin.resolve("pg_ctl")) ? bin : null;
  }

  /** Whether the PostgreSQL server binaries are installed. */
  public static boolean available() {
    return binDir() != null;
  }

  /** Starts a server; throws when the binaries are missing ({@link #available()}). */
  public static LocalPostgres start() throws IOException, InterruptedException {
    Path bin = binDir();
    if (bin == null) {
      throw new IllegalStateException(
          "PostgreSQL is not installed (no initdb/pg_ctl): apt-get install -y postgresql");
    }
    String runAs = LocalProcesses.isRoot() ? "nobody" : null;
    Path dir = LocalProcesses.tempDir("hogbeam-pg", runAs);
    int port = LocalProcesses.freePort();
    LocalPostgres pg = new LocalPostgres(bin, dir, port, runAs);
    try {
      Path pw = dir.resolve("pwfile");
      Files.writeString(pw, PASSWORD + "\n", StandardCharsets.UTF_8);
      if (runAs != null) {
        Files.setOwner(pw, Files.getOwner(dir));
      }
      LocalProcesses.run(
          runAs,
          TIMEOUT,
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-U",
              USER,
              "--pwfile=" + pw,
              "--auth-local=trust",
              "--auth-host=scram-sha-256",
              "-E",
              "UTF8",
              "--no-locale",
              "--no-sync"));
      pg.pgCtl(
          List.of(
              "-l",
              dir.resolve("server.log").toString(),
              "-w",
              "-t",
              "60",
              "-o",
              "-p "
                  + port
                  + " -k "
                  + dir
                  + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                  + " -c full_page_writes=off -c timezone=UTC",
              "start"));
      Runtime.getRuntime().addShutdownHook(new Thread(pg::stopQuietly));
      return pg;
    } catch (IOException | InterruptedException | RuntimeException e) {
      pg.stopQuietly();
      throw e;
    }
  }

  /** {@code jdbc:postgresql://127.0.0.1:PORT/postgres}. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  public int port() {
    return port;
  }

  public String password() {
    return PASSWORD;
  }

  /** The directory of the server's binaries ({@code psql} for a {@code COPY}). */
  public Path binDirectory() {
    return bin;
  }

  /** A new connection as {@link #USER}. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), USER, PASSWORD);
  }

  /** Runs each statement. */
  public void execute(String... sql) throws SQLException {
    LocalProcesses.execute(this::connect, sql);
  }

  /** {@code pg_ctl -D <data> args...}, as the server's user. */
  private void pgCtl(List<String> args) throws IOException, InterruptedException {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString()));
    command.addAll(args);
    LocalProcesses.run(runAs, TIMEOUT, command);
  }

  private void stopQuietly() {
    try {
      if (Files.exists(dir.resolve("data/postmaster.pid"))) {
        pgCtl(List.of("-m", "immediate", "-w", "stop"));
      }
    } catch (IOException | InterruptedException e) {
      // the directory goes anyway
    }
    LocalClickHouse.deleteRecursively(dir);
  }

  @Override
  public void close() {
    stopQuietly();
  }
}
