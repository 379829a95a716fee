package dev.hogbeam.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.clickhouse.jdbc.ConnectionImpl;
import dev.hogbeam.testing.LocalClickHouse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ClickHouse connections come from the pooled data source of JdbcIO's {@code
 * DataSourceConfiguration}: the connection's settings arrive with every query, a connection closed
 * mid-read comes back to the next user without its half-read result, and no caller waits for a
 * connection.
 */
class ClickHouseConnectionPoolTest {

  private static ClickHouseConnectionConfig config(LocalClickHouse ch) {
    return ClickHouseConnectionConfig.of(ch.jdbcUrl(), ch.user(), ch.password())
        .withTimeouts(77, 123);
  }

  @Test
  void settingsArriveThroughThePool() throws Exception {
    LocalClickHouse ch = LocalClickHouse.shared();
    ClickHouseConnectionConfig config = config(ch);
    try (Connection c = config.open();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT getSetting('result_overflow_mode'), getSetting('read_overflow_mode'),"
                    + " getSetting('timeout_overflow_mode'), getSetting('max_execution_time')")) {
      assertFalse(c instanceof ConnectionImpl, "a pooled connection, not the driver's own");
      assertTrue(rs.next());
      assertEquals("throw", rs.getString(1));
      assertEquals("throw", rs.getString(2));
      assertEquals("throw", rs.getString(3));
      assertEquals(123, rs.getLong(4));
    }
    assertEquals(
        Map.of(
            "clickhouse_setting_max_execution_time", "123",
            "clickhouse_setting_read_overflow_mode", "throw",
            "clickhouse_setting_result_overflow_mode", "throw",
            "clickhouse_setting_timeout_overflow_mode", "throw",
            "clickhouse_setting_wait_end_of_query", "0",
            "socket_timeout", "77000"),
        config.dataSource().connectionProperties());
  }

  @Test
  void aConnectionClosedMidReadComesBackWithoutItsResult() throws Exception {
    LocalClickHouse ch = LocalClickHouse.shared();
    ClickHouseConnectionConfig config = config(ch);
    Connection first = config.open();
    ConnectionImpl driverConnection = first.unwrap(ConnectionImpl.class);
    Statement s = first.createStatement();
    ResultSet rs = s.executeQuery("SELECT number FROM system.numbers LIMIT 2000000");
    for (int i = 0; i < 10; i++) {
      assertTrue(rs.next());
      assertEquals(i, rs.getLong(1));
    }
    first.close();
    assertTrue(rs.isClosed(), "closing the connection closes its half-read result");
    assertTrue(s.isClosed(), "closing the connection closes its statement");

    try (Connection second = config.open();
        Statement s2 = second.createStatement();
        ResultSet rs2 = s2.executeQuery("SELECT 42, getSetting('result_overflow_mode')")) {
      assertSame(driverConnection, second.unwrap(ConnectionImpl.class), "the pooled connection");
      assertTrue(rs2.next());
      assertEquals(42, rs2.getLong(1));
      assertEquals("throw", rs2.getString(2));
      assertFalse(rs2.next());
    }
  }

  @Test
  void noCallerWaitsForAConnection() {
    LocalClickHouse ch = LocalClickHouse.shared();
    ClickHouseConnectionConfig config = config(ch);
    // More than DBCP's default of 8 connections held at once: a capped pool would block here.
    assertTimeoutPreemptively(
        Duration.ofMinutes(2),
        () -> {
          List<Connection> held = new ArrayList<>();
          try {
            for (int i = 0; i < 20; i++) {
              Connection c = config.open();
              held.add(c);
              try (Statement s = c.createStatement();
                  ResultSet rs = s.executeQuery("SELECT " + i)) {
                assertTrue(rs.next());
                assertEquals(i, rs.getInt(1));
              }
            }
          } finally {
            for (Connection c : held) {
              c.close();
            }
          }
        });
  }

  @Test
  void onePoolPerSettingsAndPassword() {
    ClickHouseConnectionConfig a =
        ClickHouseConnectionConfig.of("http://localhost:8123", "u", "secret-a");
    ClickHouseConnectionConfig b =
        ClickHouseConnectionConfig.of("http://localhost:8123", "u", "secret-b");
    assertSame(a.dataSource().apply(null), a.dataSource().apply(null));
    assertNotSame(a.dataSource().apply(null), b.dataSource().apply(null));
    assertNotSame(a.dataSource().apply(null), a.withTimeouts(10, 10).dataSource().apply(null));
    assertFalse(a.dataSource().toString().contains("secret-a"));
    assertFalse(a.toString().contains("secret-a"));
  }
}
