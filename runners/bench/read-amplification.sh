#!/usr/bin/env bash
# Rows ClickHouse reads per row returned for one generated team-day, paged three ways (hogbeam's
# sort-key keyset pages, a tuple cursor, PostHog's migrate.py time-ordered pages), on the local
# ClickHouse engine. Args: --rows=1200000[,2340000] --pageSizes=1000,10000,500000 --samples=8 [--full]
cd "$(dirname "$0")/../.." && mvn -q -pl benchmarks -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime && exec java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" dev.hogbeam.runners.bench.ReadAmplificationBenchmark "$@"
