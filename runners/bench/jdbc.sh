#!/usr/bin/env bash
# hogbeam jdbc from a local PostgreSQL against its I/O floor (COPY ... TO STDOUT | gzip), see docs/benchmarks.md.
# args: [--events=1000000] [--days=5] [--heap=1g] [--runners=flink,direct]
# Needs Debian's postgresql package (apt-get install -y postgresql).
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -q ${HOGBEAM_MVN_ARGS:-} -pl runners,benchmarks -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
exec java -Xmx1g -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  dev.hogbeam.runners.bench.JdbcBenchmark "$@"
