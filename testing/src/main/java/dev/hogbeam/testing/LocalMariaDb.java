package dev.hogbeam.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A throwaway MariaDB server: {@code mariadb-install-db} into a temp directory, {@code mariadbd} on
 * a free loopback port (session time zone UTC), a user {@link #USER} with a password and a database
 * {@link #DATABASE}, gone on {@link #close()}. Binaries from Debian's {@code mariadb-server}
 * package (or the PATH); {@link #available()} tells whether they are there.
 */
public final class LocalMariaDb implements AutoCloseable {
  public static final String USER = "hogbeam";
  public static final String DATABASE = "hogbeam";
  private static final String PASSWORD = "hogbeam-local-maria";
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  private final Path dir;
  private final int port;
  private final Process server;

  private LocalMariaDb(Path dir, int port, Process server) {
    this.dir = dir;
    this.port = port;
    this.server = server;
  }

  private static @Nullable Path tool(String name) {
    return LocalProcesses.find(List.of(), name);
  }

  /** Whether the MariaDB server binaries are installed. */
  public static boolean available() {
    return tool("mariadb-install-db") != null
        && tool("mariadbd") != null
        && tool("mariadb") != null;
  }

  /** Starts a server; throws when the binaries are missing ({@link #available()}). */
  public static LocalMariaDb start() throws IOException, InterruptedException {
    if (!available()) {
      throw new IllegalStateException(
          "MariaDB is not installed (no mariadb-install-db/mariadbd): apt-get install -y"
              + " mariadb-server");
    }
    Path dir = LocalProcesses.tempDir("hogbeam-maria", null);
    Path data = dir.resolve("data");
    Path socket = dir.resolve("mysqld.sock");
    List<String> asUser = LocalProcesses.isRoot() ? List.of("--user=root") : List.of();
    List<String> install =
        new ArrayList<>(
            List.of(
                tool("mariadb-install-db").toString(),
                "--no-defaults",
                "--datadir=" + data,
                "--auth-root-authentication-method=normal",
                "--skip-test-db"));
    install.addAll(asUser);
    LocalProcesses.run(null, TIMEOUT, install);
    int port = LocalProcesses.freePort();
    List<String> command =
        new ArrayList<>(
            List.of(
                tool("mariadbd").toString(),
                "--no-defaults",
                "--datadir=" + data,
                "--port=" + port,
                "--bind-address=127.0.0.1",
                "--socket=" + socket,
                "--pid-file=" + dir.resolve("mysqld.pid"),
                "--log-error=" + dir.resolve("server.log"),
                "--skip-log-bin",
                "--default-time-zone=+00:00",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-buffer-pool-size=128M"));
    command.addAll(asUser);
    Process server =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("stdout.log").toFile())
            .start();
    LocalMariaDb db = new LocalMariaDb(dir, port, server);
    try {
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      String setup =
          "CREATE DATABASE "
              + DATABASE
              + " CHARACTER SET utf8mb4; CREATE USER '"
              + USER
              + "'@'%' IDENTIFIED BY '"
              + PASSWORD
              + "'; GRANT ALL ON *.* TO '"
              + USER
              + "'@'%'; CREATE USER '"
              + USER
              + "'@'localhost' IDENTIFIED BY '"
              + PASSWORD
              + "'; GRANT ALL ON *.* TO '"
              + USER
              + "'@'localhost';";
      while (true) {
        if (!server.isAlive()) {
          throw new IOException(
              "mariadbd ended at start:\n" + Files.readString(dir.resolve("server.log")));
        }
        try {
          if (Files.exists(socket)) {
            LocalProcesses.run(
                null,
                TIMEOUT,
                List.of(
                    tool("mariadb").toString(),
                    "--no-defaults",
                    "-S",
                    socket.toString(),
                    "-u",
                    "root",
                    "-e",
                    setup));
            break;
          }
        } catch (IOException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("mariadbd did not start in " + TIMEOUT);
        }
        Thread.sleep(100);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(db::stopQuietly));
      return db;
    } catch (IOException | InterruptedException | RuntimeException e) {
      db.stopQuietly();
      throw e;
    }
  }

  /** {@code jdbc:mariadb://127.0.0.1:PORT/hogbeam}. */
  public String jdbcUrl() {
    return "jdbc:mariadb://127.0.0.1:" + port + "/" + DATABASE;
  }

  public int port() {
    return port;
  }

  public String password() {
    return PASSWORD;
  }

  /** A new connection as {@link #USER}. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), USER, PASSWORD);
  }

  /** Runs each statement. */
  public void execute(String... sql) throws SQLException {
    LocalProcesses.execute(this::connect, sql);
  }

  private void stopQuietly() {
    if (server.isAlive()) {
      server.destroy();
      try {
        if (!server.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
          server.destroyForcibly().waitFor();
        }
      } catch (InterruptedException e) {
        server.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    LocalClickHouse.deleteRecursively(dir);
  }

  @Override
  public void close() {
    stopQuietly();
  }
}
