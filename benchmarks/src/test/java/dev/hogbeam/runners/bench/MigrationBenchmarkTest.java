package dev.hogbeam.runners.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's own arithmetic and parsing: stage attribution, GC logs, /proc, run specs. */
class MigrationBenchmarkTest {

  private static final String FLINK_REDUCE =
      "[CHAIN GroupReduce (GroupReduce at Order each group in time/GroupByShard) (1/1)#0 tid=42]";

  @Test
  void samplesGoToTheInnermostFrameOfAStage() {
    // gzip (native zlib) inside the writer is sending
    assertEquals(
        "send",
        StageProfile.stageOf(
            FLINK_REDUCE
                + ";org/apache/flink/runtime/operators/GroupReduceDriver.run"
                + ";dev/hogbeam/order/OrderEvents$SortShardFn.process"
                + ";dev/hogbeam/capture/SendGroupsFn.process;dev/hogbeam/capture/HttpTransport.encode"
                + ";java/util/zip/Deflater.deflateBytesBytes;/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"));
    // a coder called by the writer's iteration of a Flink group is a coder, not the writer
    assertEquals(
        "coders",
        StageProfile.stageOf(
            FLINK_REDUCE
                + ";dev/hogbeam/capture/GroupSender.send;org/apache/flink/runtime/util/ReusingKeyGroupedIterator$ValuesIterator.next"
                + ";dev/hogbeam/event/CaptureEventCoder.decode;org/apache/beam/sdk/coders/StringUtf8Coder.readString"
                + ";java/lang/String.<init>"));
    // Flink's own merge of its spilled runs under the sort DoFn is the shuffle
    assertEquals(
        "shuffle",
        StageProfile.stageOf(
            FLINK_REDUCE
                + ";dev/hogbeam/order/OrderEvents$SortShardFn.process"
                + ";org/apache/flink/runtime/util/ReusingKeyGroupedIterator$ValuesIterator.next"
                + ";org/apache/flink/runtime/operators/sort/MergeIterator.next;java/util/PriorityQueue.poll"));
    assertEquals(
        "read",
        StageProfile.stageOf(
            "[reader tid=1];dev/hogbeam/clickhouse/ShardReader.read"
                + ";com/clickhouse/client/api/data_formats/internal/BinaryStreamReader.readValue"
                + ";net/jpountz/lz4/LZ4JNI.LZ4_decompress_safe"));
    assertEquals(
        "map",
        StageProfile.stageOf(
            "[t tid=1];dev/hogbeam/clickhouse/ShardReader.read"
                + ";dev/hogbeam/clickhouse/MapPostHogEvents$MapFn.process"
                + ";dev/hogbeam/clickhouse/PostHogProperties.rewrite;java/lang/StringBuilder.append"));
    assertEquals(
        "sort",
        StageProfile.stageOf(
            "[t tid=1];dev/hogbeam/order/ExternalSorter.add" + ";java/util/Arrays.sort"));
    assertEquals(
        "checkpoint",
        StageProfile.stageOf(
            "[t tid=1];dev/hogbeam/capture/GroupSender.settle"
                + ";dev/hogbeam/pipeline/checkpoint/CheckpointStore.writeGroup;sun/nio/ch/FileChannelImpl.force"));
    assertEquals(
        "runner", StageProfile.stageOf("[t tid=1];org/apache/flink/runtime/taskmanager/Task.run"));
    assertEquals(
        "GC", StageProfile.stageOf("[GC Thread#0 tid=7];G1ParScanThreadState::trim_queue"));
    assertEquals("JIT", StageProfile.stageOf("[C2 CompilerThre tid=8];Compile::Optimize"));
    assertEquals(
        "other JVM", StageProfile.stageOf("[main tid=2];java/lang/ClassLoader.defineClass1"));
  }

  @Test
  void stageSharesAndSecondsFromACollapsedFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("p.collapsed");
    Files.writeString(
        f,
        String.join(
            "\n",
            "[w tid=1];dev/hogbeam/capture/HttpTransport.encode;java/util/zip/Deflater.deflate 30",
            "[r tid=2];dev/hogbeam/clickhouse/ShardReader.read 10",
            "[GC Thread#1 tid=3];G1 60",
            ""),
        UTF_8);
    StageProfile p = StageProfile.read(f, 10_000_000L);
    assertEquals(100, p.total());
    assertEquals(0.3, p.share("send"), 1e-9);
    assertEquals(0.1, p.cpuSeconds("read"), 1e-9);
    assertEquals(0.6, p.cpuSeconds("GC"), 1e-9);
    assertEquals(1.0, p.totalCpuSeconds(), 1e-9);
  }

  @Test
  void gcLogPeaksAndPauses(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("gc.log");
    Files.writeString(
        log,
        String.join(
            "\n",
            "[0.012s][info][gc] Using G1",
            "[1.234s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 24M->3M(256M) 3.500ms",
            "[2.000s][info][gc] GC(1) Pause Young (Concurrent Start) (G1 Humongous Allocation) 612M->301M(1024M) 12.500ms",
            "[2.100s][info][gc] GC(2) Concurrent Mark Cycle 40.123ms",
            "[3.000s][info][gc] GC(3) Pause Full (G1 Compaction Pause) 900M->120M(1024M) 84.000ms",
            ""),
        UTF_8);
    GcLog gc = GcLog.read(log);
    assertEquals(900L << 20, gc.peakUsedBytes());
    assertEquals(301L << 20, gc.maxAfterGcBytes());
    assertEquals(1024L << 20, gc.committedBytes());
    assertEquals(3, gc.collections());
    assertEquals(0.1, gc.pauseSeconds(), 1e-9);
  }

  @Test
  void procFiles(@TempDir Path dir) throws Exception {
    Path status = dir.resolve("status");
    Files.writeString(
        status,
        "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t 1048576 kB\nVmRSS:\t 500000 kB\n",
        UTF_8);
    assertEquals(1L << 30, ChildProcess.readPeakRss(status));
    Path stat = dir.resolve("stat");
    // the command may hold spaces and parentheses: fields are counted after the last ')'
    Files.writeString(
        stat,
        "1234 (java (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 1500 250 0 0 20 0 40\n",
        UTF_8);
    assertEquals(1750, ChildProcess.readCpuTicks(stat));
    assertEquals(0, ChildProcess.readPeakRss(dir.resolve("gone")));
  }

  @Test
  void runnerSpecs() {
    String spec = "flink+fetchLimit=10000+jar:/tmp/p.jar+jvm:-XX:+UseParallelGC";
    assertEquals("flink", MigrationBenchmark.baseRunner(spec));
    assertEquals(List.of("--fetchLimit=10000"), MigrationBenchmark.specParts(spec, "flag"));
    assertEquals(List.of("/tmp/p.jar"), MigrationBenchmark.specParts(spec, "jar"));
    assertEquals(List.of("-XX:+UseParallelGC"), MigrationBenchmark.specParts(spec, "jvm"));
    assertEquals("cluster:127.0.0.1:8081", MigrationBenchmark.baseRunner("cluster:127.0.0.1:8081"));
    assertEquals(List.of(), MigrationBenchmark.specParts("direct", "flag"));
    String old = "flink+jar:/tmp/main.jar+url:clickhouse_setting_wait_end_of_query=0";
    assertEquals(List.of("/tmp/main.jar"), MigrationBenchmark.specParts(old, "jar"));
    assertEquals(
        List.of("clickhouse_setting_wait_end_of_query=0"),
        MigrationBenchmark.specParts(old, "url"));
    assertEquals(List.of(), MigrationBenchmark.specParts(old, "flag"));
    MigrationBenchmark.Settings s =
        MigrationBenchmark.Settings.parse(
            new String[] {
              "--events=1_000_000,5000000", "--runners=flink,direct+jvm:-Xmx6g", "--batchSize=100"
            });
    assertEquals(List.of(1_000_000L, 5_000_000L), s.sizes);
    assertEquals(List.of("--batchSize=100"), s.pass);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MigrationBenchmark.Settings.parse(new String[] {"--runners=spark"}));
    assertEquals(true, e.getMessage().contains("--runners takes flink, direct and cluster"));
  }

  @Test
  void streamingUrlAddsTheSetting() {
    assertEquals(
        "jdbc:clickhouse://h:1?clickhouse_setting_wait_end_of_query=0",
        Floor.streamingUrl("jdbc:clickhouse://h:1"));
    assertEquals(
        "jdbc:clickhouse://h:1/db?compress=0&clickhouse_setting_wait_end_of_query=0",
        Floor.streamingUrl("jdbc:clickhouse://h:1/db?compress=0"));
  }
}
