#!/usr/bin/env bash
# CaptureIO.write against the fake capture server with an events/s budget; args: --events= --groups= --rate= --batchSize= [Beam options]
cd "$(dirname "$0")/../.." && mvn -q -pl benchmarks -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime && exec java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" dev.hogbeam.runners.bench.RateLimitBenchmark "$@"
