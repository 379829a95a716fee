package dev.hogbeam.jdbc;

import dev.hogbeam.progress.ReadProgress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Reads day shards of a JDBC source with {@link JdbcIO#readAll()}: one query per {@link DayRange}
 * ({@code WHERE ts >= start AND ts < end}), rows streamed with the fetch size, each row made a
 * record by {@link JdbcMapping#mapRow}. Connections come from {@link JdbcDataSource} (JdbcIO's
 * configuration and pooled provider, built on each worker). Once read, each day's row count is
 * recorded with {@link ReadProgress} (shard = the day).
 */
public final class ReadJdbcDays extends PTransform<PBegin, PCollection<String>> {
  private final JdbcDataSource dataSource;
  private final String sql;
  private final JdbcMapping mapping;
  private final List<DayRange> days;
  private final int fetchSize;
  private final ReadProgress progress;

  private ReadJdbcDays(
      JdbcDataSource dataSource,
      String sql,
      JdbcMapping mapping,
      List<DayRange> days,
      int fetchSize,
      ReadProgress progress) {
    this.dataSource = dataSource;
    this.sql = sql;
    this.mapping = mapping;
    this.days = List.copyOf(days);
    this.fetchSize = fetchSize;
    this.progress = progress;
  }

  /**
   * @param sql the query of {@link JdbcMapping#selectSql}, with its two range parameters
   */
  public static ReadJdbcDays of(
      JdbcDataSource dataSource,
      String sql,
      JdbcMapping mapping,
      List<DayRange> days,
      int fetchSize,
      ReadProgress progress) {
    return new ReadJdbcDays(dataSource, sql, mapping, days, fetchSize, progress);
  }

  /**
   * One day read as {@link #expand} reads it (the same query, range parameters, fetch size and row
   * mapper), each record to {@code records}, outside a pipeline and recording nothing: a trial
   * run's read. An exception from {@code records} stops the read.
   */
  public static void readDay(
      JdbcDataSource dataSource,
      String sql,
      JdbcMapping mapping,
      DayRange day,
      int fetchSize,
      Consumer<String> records)
      throws Exception {
    try (Connection c = dataSource.apply(null).getConnection()) {
      c.setAutoCommit(false); // some drivers (PostgreSQL) stream with a fetch size only so
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setFetchSize(fetchSize);
        mapping.rangeSetter().setParameters(day.text(), ps);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            records.accept(mapping.mapRow(rs));
          }
        }
      } finally {
        c.rollback();
      }
    }
  }

  @Override
  public PCollection<String> expand(PBegin input) {
    List<String> ranges = days.stream().map(DayRange::text).collect(Collectors.toList());
    PCollection<String> shards =
        input.apply("Days", Create.of(ranges).withCoder(StringUtf8Coder.of()));
    JdbcMapping m = mapping;
    PCollection<String> records =
        shards
            .apply("Spread days", Reshuffle.viaRandomKey())
            .apply(
                "Read days",
                JdbcIO.<String, String>readAll()
                    .withDataSourceProviderFn(dataSource)
                    .withQuery(sql)
                    .withParameterSetter(m.rangeSetter())
                    .withRowMapper(m::mapRow)
                    .withFetchSize(fetchSize)
                    .withOutputParallelization(false)
                    .withCoder(StringUtf8Coder.of()));

    // Rows per day (0 for a day without rows), recorded once the day was read.
    PCollection<KV<String, Long>> perDay =
        PCollectionList.of(
                records.apply(
                    "Day of each row",
                    MapElements.into(
                            TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                        .via(r -> KV.of(RecordDay.of(r), 1L))))
            .and(
                shards.apply(
                    "Every day",
                    MapElements.into(
                            TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                        .via(d -> KV.of(DayRange.parse(d).day(), 0L))))
            .apply("Rows and days", Flatten.pCollections())
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .apply("Rows per day", Sum.longsPerKey());
    ReadProgress p = progress;
    perDay.apply(
        "Record days read",
        ParDo.of(
            new DoFn<KV<String, Long>, Void>() {
              @ProcessElement
              public void process(@Element KV<String, Long> day) throws Exception {
                if (!day.getKey().equals("none")) {
                  p.shardRead(day.getKey(), Map.of("rowsRead", day.getValue()), true);
                }
              }
            }));
    return records;
  }
}
