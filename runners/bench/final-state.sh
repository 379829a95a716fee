#!/usr/bin/env bash
# The final-state stage (persons and their distinct ids) at scale in a fixed heap, see docs/benchmarks.md.
# args: [--persons=2000000] [--distinctIds=3000000] [--heap=512m] [--runner=flink|direct]
#       [--dataDir=runners/target/bench-final-state] [--jar=another bundled jar] [hogbeam clickhouse flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -q ${HOGBEAM_MVN_ARGS:-} -pl runners,benchmarks -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
exec java -Xmx2g -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  dev.hogbeam.runners.bench.FinalStateBenchmark "$@"
