#!/usr/bin/env bash
# What merging unmerged copies costs: the reader's own rule (copies merged as pages come) against
# FINAL in every page query, on one generated team-day of the local ClickHouse engine.
# Args: --rows=1000000 --copies=0.01 --repeats=2
cd "$(dirname "$0")/../.." && mvn -q -pl benchmarks -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime && exec java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" dev.hogbeam.runners.bench.CopyRuleBenchmark "$@"
