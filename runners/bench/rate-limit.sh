#!/usr/bin/env bash
# CaptureIO.write against the fake capture server with an events/s budget; args: --events= --groups= --rate= --batchSize= [Beam options]
cd "$(dirname "$0")/../.." && mvn -q -pl runners -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime && exec java -cp "runners/target/classes:$(cat runners/target/classpath.txt)" dev.hogbeam.runners.bench.RateLimitBenchmark "$@"
