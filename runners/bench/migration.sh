#!/usr/bin/env bash
# hogbeam clickhouse end to end against its I/O floor, see docs/benchmarks.md.
# args: [--events=1000000,5000000] [--runners=flink,direct] [--heap=1g] [--days=5] [--propertyBytes=700]
#       [--dataDir=runners/target/bench] [--noFloor] [--jvm=<flag for the pipeline JVM>] [hogbeam clickhouse flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
ASYNC_PROFILER=tools.profiler:async-profiler:2.9
# hogbeam.jar (runners/, the pipeline under test) and the benchmark's own classpath (benchmarks/).
mvn -q ${HOGBEAM_MVN_ARGS:-} -pl runners,benchmarks -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
# async-profiler (Maven Central) for the per-stage CPU split; the benchmark runs without it if it cannot be had.
profiler=""
if mvn -q ${HOGBEAM_MVN_ARGS:-} dependency:copy -Dartifact=$ASYNC_PROFILER -DoutputDirectory=runners/target/bench-tools \
    -Dmdep.overWriteIfNewer=true >/dev/null 2>&1; then
  (cd runners/target/bench-tools && unzip -o -q async-profiler-2.9.jar linux-x64/libasyncProfiler.so) && \
    profiler="--profiler=runners/target/bench-tools/linux-x64/libasyncProfiler.so"
fi
exec java -Xmx1g -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  dev.hogbeam.runners.bench.MigrationBenchmark $profiler "$@"
