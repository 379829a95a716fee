package dev.hogbeam.clickhouse;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Set;

/** Which ClickHouse failures are worth repeating the same query for. */
final class ClickHouseErrors {
  private ClickHouseErrors() {}

  /**
   * Server error codes that say "try again": timeouts, network trouble, too many queries or too
   * little memory right now, a replica or Keeper hiccup, a cancelled query.
   */
  private static final Set<Integer> TRANSIENT_CODES =
      Set.of(
          3, // UNEXPECTED_END_OF_FILE
          32, // ATTEMPT_TO_READ_AFTER_EOF
          159, // TIMEOUT_EXCEEDED
          202, // TOO_MANY_SIMULTANEOUS_QUERIES
          203, // NO_FREE_CONNECTION
          209, // SOCKET_TIMEOUT
          210, // NETWORK_ERROR
          241, // MEMORY_LIMIT_EXCEEDED
          279, // ALL_CONNECTION_TRIES_FAILED
          285, // TOO_FEW_LIVE_REPLICAS
          394, // QUERY_WAS_CANCELLED
          425, // SYSTEM_ERROR
          999, // KEEPER_EXCEPTION
          1000); // POCO_EXCEPTION

  /** Whether {@code e} (or a cause) is a connection problem or a transient server error. */
  static boolean isTransient(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException) {
        SQLException s = (SQLException) t;
        if (s.getSQLState() != null && s.getSQLState().startsWith("08")) {
          return true;
        }
        if (TRANSIENT_CODES.contains(s.getErrorCode())) {
          return true;
        }
      }
      if (t instanceof IOException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
