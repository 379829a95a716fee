package dev.hogbeam.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.checkerframework.checker.nullness.qual.Nullable;

/** What the local database servers share: free ports, commands run to their end, temp dirs. */
final class LocalProcesses {
  private LocalProcesses() {}

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The first of {@code names} found in {@code dirs} or on the PATH, or null. */
  static @Nullable Path find(List<Path> dirs, String name) {
    List<Path> all = new ArrayList<>(dirs);
    String path = System.getenv("PATH");
    if (path != null) {
      for (String p : path.split(":")) {
        if (!p.isEmpty()) {
          all.add(Path.of(p));
        }
      }
    }
    all.add(Path.of("/usr/sbin"));
    all.add(Path.of("/usr/bin"));
    for (Path d : all) {
      Path f = d.resolve(name);
      if (Files.isExecutable(f)) {
        return f;
      }
    }
    return null;
  }

  /** {@code /usr/lib/postgresql/NN/bin}, newest first. */
  static List<Path> postgresBinDirs() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.map(p -> p.resolve("bin"))
          .filter(Files::isDirectory)
          .sorted(
              Comparator.comparing(
                      (Path p) -> {
                        try {
                          return Integer.parseInt(p.getParent().getFileName().toString());
                        } catch (NumberFormatException e) {
                          return 0;
                        }
                      })
                  .reversed())
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** A new directory under the system temp dir, owned by {@code owner} when given. */
  static Path tempDir(String prefix, @Nullable String owner) throws IOException {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), prefix);
    if (owner != null) {
      UserPrincipal user =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(owner);
      Files.setOwner(dir, user);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    return dir;
  }

  /** {@code command}, as {@code user} when given (we are root), run to its end; fails if not 0. */
  static String run(@Nullable String user, Duration timeout, List<String> command)
      throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (user != null) {
      full.addAll(List.of("runuser", "-u", user, "--"));
    }
    full.addAll(command);
    Path out = Files.createTempFile("hogbeam-cmd", ".log");
    try {
      Process p =
          new ProcessBuilder(full)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .directory(Path.of("/tmp").toFile())
              .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor();
        throw new IOException("timed out after " + timeout + ": " + full);
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(
            "exit code " + p.exitValue() + " from " + String.join(" ", full) + ":\n" + text);
      }
      return text;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** Runs each statement on a new connection from {@code connect}. */
  static void execute(ConnectionSource connect, String... sql) throws java.sql.SQLException {
    try (java.sql.Connection c = connect.get();
        java.sql.Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  /** Opens a connection. */
  interface ConnectionSource {
    java.sql.Connection get() throws java.sql.SQLException;
  }
}
