#!/usr/bin/env bash
# A local Apache Flink standalone cluster (one JobManager, one or more TaskManagers) for hogbeam.jar.
#
#   runners/flink-cluster.sh start [--taskmanagers N] [--slots N] [--port 8081] [--rpc-port P]
#   runners/flink-cluster.sh stop
#   runners/flink-cluster.sh status
#
# Flink's binary distribution is not in Maven Central, so the script resolves Flink's jars with
# Maven (flink-runtime, -clients, -streaming-java, -java, -runtime-web and log4j) into
# $FLINK_HOME/lib, writes $FLINK_HOME/conf, and starts the processes the way Flink's own
# scripts do (Java 17 module flags, TaskManager memory sizes derived by Flink's BashJavaUtils).
# Submit with: java -jar runners/target/hogbeam.jar <subcommand> --runner=FlinkRunner --flinkMaster=127.0.0.1:8081
#
# Environment:
#   HOGBEAM_FLINK_HOME            where lib/, conf/, log/ and the pid files live
#                                 (default: runners/target/flink-<version>)
#   HOGBEAM_FLINK_TM_MEMORY       size of each TaskManager process (default 4096m)
#   HOGBEAM_FLINK_JM_MEMORY       JobManager process size (default 1024m)
#   HOGBEAM_FLINK_START_TIMEOUT   seconds to wait for the TaskManagers to register (default 120)
#   HOGBEAM_MVN_ARGS              extra Maven arguments for resolving Flink, e.g. -o
set -euo pipefail

# The Flink version the Beam Flink runner inside hogbeam.jar is built against
# (beam-runners-flink-1.19 2.70.0 -> 1.19.0; runners/pom.xml flink.version). Client and cluster
# must agree: the job graph is Java-serialized across them.
FLINK_VERSION=1.19.0
# The log4j of Flink 1.19's distribution.
LOG4J_VERSION=2.17.1
DEPENDENCY_PLUGIN_VERSION=3.8.1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FLINK_HOME=${HOGBEAM_FLINK_HOME:-$HERE/target/flink-$FLINK_VERSION}
TM_MEMORY=${HOGBEAM_FLINK_TM_MEMORY:-4096m}
JM_MEMORY=${HOGBEAM_FLINK_JM_MEMORY:-1024m}
START_TIMEOUT=${HOGBEAM_FLINK_START_TIMEOUT:-120}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

LIB=$FLINK_HOME/lib
CONF=$FLINK_HOME/conf
LOGS=$FLINK_HOME/log
RUN=$FLINK_HOME/run

# Flink 1.19's env.java.opts.all default: what Flink needs opened on Java 17.
JAVA17_OPTS=(
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

die() {
  echo "flink-cluster: $*" >&2
  exit 1
}

# True when a process with the pid in file $1 is alive.
alive() {
  [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

# True when something listens on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# GET http://127.0.0.1:$1$2 with bash alone (no curl on a bare machine); prints the body.
http_get() {
  local port=$1 path=$2
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" "$1" >&3
    sed "1,/^\r\{0,1\}$/d" <&3' "$port" "$path" 2>/dev/null
}

# Number of TaskManagers registered with the JobManager whose REST API is on port $1.
registered_taskmanagers() {
  local body
  body=$(http_get "$1" /taskmanagers) || { echo 0; return; }
  grep -o '"slotsNumber"' <<<"$body" | wc -l | tr -d ' '
}

# Flink's jars, resolved once with Maven from the registry into $LIB.
resolve_flink() {
  [[ -f $LIB/.resolved-$FLINK_VERSION ]] && return
  echo "flink-cluster: resolving Flink $FLINK_VERSION with Maven into $LIB"
  local pom_dir=$FLINK_HOME/resolve
  mkdir -p "$pom_dir"
  cat >"$pom_dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.hogbeam.local</groupId>
  <artifactId>flink-cluster-lib</artifactId>
  <version>$FLINK_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.flink</groupId><artifactId>flink-runtime</artifactId><version>$FLINK_VERSION</version></dependency>
    <dependency><groupId>org.apache.flink</groupId><artifactId>flink-clients</artifactId><version>$FLINK_VERSION</version></dependency>
    <dependency><groupId>org.apache.flink</groupId><artifactId>flink-streaming-java</artifactId><version>$FLINK_VERSION</version></dependency>
    <dependency><groupId>org.apache.flink</groupId><artifactId>flink-java</artifactId><version>$FLINK_VERSION</version></dependency>
    <dependency><groupId>org.apache.flink</groupId><artifactId>flink-runtime-web</artifactId><version>$FLINK_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-1.2-api</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  rm -rf "$LIB"
  # shellcheck disable=SC2086
  if ! mvn -B -f "$pom_dir/pom.xml" ${HOGBEAM_MVN_ARGS:-} \
    "org.apache.maven.plugins:maven-dependency-plugin:$DEPENDENCY_PLUGIN_VERSION:copy-dependencies" \
    -DoutputDirectory="$LIB" -DincludeScope=runtime >"$pom_dir/mvn.log" 2>&1; then
    tail -n 40 "$pom_dir/mvn.log" >&2
    die "could not resolve Flink $FLINK_VERSION with Maven (output above, in $pom_dir/mvn.log)"
  fi
  touch "$LIB/.resolved-$FLINK_VERSION"
}

# The pid-file names of the TaskManagers: taskmanager, taskmanager-2, taskmanager-3, ...
taskmanager_names() {
  local n=$1 i
  echo taskmanager
  for ((i = 2; i <= n; i++)); do echo "taskmanager-$i"; done
}

# The names of the TaskManagers that have a pid file (running or not).
known_taskmanagers() {
  local f
  for f in "$RUN"/taskmanager.pid "$RUN"/taskmanager-*.pid; do
    [[ -f $f ]] && basename "$f" .pid
  done
  return 0
}

write_conf() {
  local slots=$1 port=$2 rpc_port=$3 taskmanagers=$4
  mkdir -p "$CONF" "$LOGS" "$RUN" "$FLINK_HOME/tmp"
  cat >"$CONF/config.yaml" <<EOF
# Written by runners/flink-cluster.sh; rewritten on every start.
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $rpc_port
jobmanager.bind-host: 127.0.0.1
jobmanager.memory.process.size: $JM_MEMORY
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.numberOfTaskSlots: $slots
taskmanager.memory.process.size: $TM_MEMORY
parallelism.default: $((slots * taskmanagers))
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $port
# Beam ships each job's serialized transforms through RPC messages: allow large ones.
pekko.framesize: 104857600b
# A Beam batch job deploys all its operators at once (pipelined exchanges); hogbeam's graph
# (read, map, group, sort, send, dead letters, report) needs more network buffers than Flink's
# default 10% of the TaskManager's memory leaves at parallelism >= 2.
taskmanager.memory.network.fraction: 0.25
taskmanager.memory.network.min: 256mb
taskmanager.memory.network.max: 1gb
io.tmp.dirs: $FLINK_HOME/tmp
web.tmpdir: $FLINK_HOME/tmp
web.upload.dir: $FLINK_HOME/tmp
env.java.opts.all: ${JAVA17_OPTS[*]}
EOF
  cat >"$CONF/log4j.properties" <<'EOF'
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
appender.main.name = MainAppender
appender.main.type = File
appender.main.append = false
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
logger.pekko.name = org.apache.pekko
logger.pekko.level = INFO
logger.netty.name = org.apache.flink.shaded.netty4.io.netty.channel.nio.NioEventLoop
logger.netty.level = OFF
EOF
  echo "$port" >"$RUN/rest.port"
}

# The derived JVM and -D memory options for "jm" or "tm", computed by Flink's BashJavaUtils
# exactly as Flink's jobmanager.sh / taskmanager.sh do. Sets JVM_PARAMS and DYNAMIC_PARAMS.
derive_memory() {
  local command
  case $1 in
    jm) command=GET_JM_RESOURCE_PARAMS ;;
    tm) command=GET_TM_RESOURCE_PARAMS ;;
  esac
  local output results
  output=$("$JAVA" -cp "$LIB/*" org.apache.flink.runtime.util.bash.BashJavaUtils "$command" \
    --configDir "$CONF" 2>&1) || die "BashJavaUtils $command failed: $output"
  results=$(grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$output" | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://') \
    || die "BashJavaUtils $command printed no result: $output"
  [[ $(wc -l <<<"$results") -eq 2 ]] || die "BashJavaUtils $command: expected 2 result lines, got: $results"
  JVM_PARAMS=$(head -n1 <<<"$results")
  DYNAMIC_PARAMS=$(tail -n1 <<<"$results")
}

# start_process <name> <main class> <args...>: background java, pid in $RUN/<name>.pid.
start_process() {
  local name=$1 main=$2
  shift 2
  # shellcheck disable=SC2086
  nohup "$JAVA" $JVM_PARAMS "${JAVA17_OPTS[@]}" \
    -Dlog.file="$LOGS/$name.log" -Dlog4j.configurationFile="file:$CONF/log4j.properties" \
    -cp "$LIB/*" "$main" "$@" \
    </dev/null >"$LOGS/$name.out" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

print_logs() {
  for f in "$LOGS"/jobmanager.out "$LOGS"/jobmanager.log "$LOGS"/taskmanager*.out "$LOGS"/taskmanager*.log; do
    [[ -f $f ]] || continue
    echo "---- tail of $f" >&2
    tail -n 40 "$f" >&2
  done
}

start() {
  local slots=2 port=8081 rpc_port="" taskmanagers=1
  while [[ $# -gt 0 ]]; do
    case $1 in
      --taskmanagers) taskmanagers=${2:?--taskmanagers needs a number}; shift 2 ;;
      --taskmanagers=*) taskmanagers=${1#*=}; shift ;;
      --slots) slots=${2:?--slots needs a number}; shift 2 ;;
      --slots=*) slots=${1#*=}; shift ;;
      --port) port=${2:?--port needs a number}; shift 2 ;;
      --port=*) port=${1#*=}; shift ;;
      --rpc-port) rpc_port=${2:?--rpc-port needs a number}; shift 2 ;;
      --rpc-port=*) rpc_port=${1#*=}; shift ;;
      *) echo "flink-cluster: unknown option for start: $1" >&2; usage ;;
    esac
  done
  [[ $slots =~ ^[1-9][0-9]*$ ]] || { echo "flink-cluster: --slots must be a positive integer, but was '$slots'" >&2; exit 2; }
  [[ $port =~ ^[1-9][0-9]*$ ]] || { echo "flink-cluster: --port must be a port number, but was '$port'" >&2; exit 2; }
  [[ $taskmanagers =~ ^[1-9][0-9]*$ ]] || { echo "flink-cluster: --taskmanagers must be a positive integer, but was '$taskmanagers'" >&2; exit 2; }

  local tm_running=false name
  for name in $(known_taskmanagers); do alive "$RUN/$name.pid" && tm_running=true; done
  if alive "$RUN/jobmanager.pid" || $tm_running; then
    echo "flink-cluster: already running at http://127.0.0.1:$(cat "$RUN/rest.port" 2>/dev/null || echo '?') ($FLINK_HOME)"
    return 0
  fi
  port_in_use "$port" && die "port $port is in use (choose another with --port)"
  if [[ -z $rpc_port ]]; then
    rpc_port=$((port + 1))
    while port_in_use "$rpc_port"; do rpc_port=$((rpc_port + 1)); done
  fi
  port_in_use "$rpc_port" && die "port $rpc_port is in use (choose another with --rpc-port)"

  local started=$SECONDS
  resolve_flink
  write_conf "$slots" "$port" "$rpc_port" "$taskmanagers"
  rm -f "$LOGS"/*.log "$LOGS"/*.out "$RUN"/taskmanager*.pid

  derive_memory jm
  start_process jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
    --configDir "$CONF" --executionMode cluster
  derive_memory tm
  # Each TaskManager is its own JVM, with its own ports (Flink picks free ones) and log files.
  for name in $(taskmanager_names "$taskmanagers"); do
    # DYNAMIC_PARAMS is "-D key=value -D key=value ...": word splitting is intended.
    # shellcheck disable=SC2086
    start_process "$name" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
      --configDir "$CONF" $DYNAMIC_PARAMS
  done

  local deadline=$((SECONDS + START_TIMEOUT))
  until [[ $(registered_taskmanagers "$port") -ge $taskmanagers ]]; do
    for name in jobmanager $(taskmanager_names "$taskmanagers"); do
      if ! alive "$RUN/$name.pid"; then
        print_logs
        stop >/dev/null
        die "the $name exited during start-up (logs above, in $LOGS)"
      fi
    done
    if ((SECONDS >= deadline)); then
      print_logs
      stop >/dev/null
      die "not every TaskManager ($taskmanagers) registered within ${START_TIMEOUT}s (logs above, in $LOGS)"
    fi
    sleep 0.5
  done
  local tms=""
  ((taskmanagers > 1)) && tms="$taskmanagers TaskManagers, "
  echo "flink-cluster: Flink $FLINK_VERSION ready at http://127.0.0.1:$port (${tms}$((slots * taskmanagers)) slots, $((SECONDS - started)) s; logs in $LOGS)"
  echo "flink-cluster: submit with --runner=FlinkRunner --flinkMaster=127.0.0.1:$port"
}

stop() {
  local any=false names
  names="$(known_taskmanagers) jobmanager"
  for name in $names; do
    if alive "$RUN/$name.pid"; then
      kill "$(cat "$RUN/$name.pid")" 2>/dev/null || true
      any=true
    fi
  done
  local deadline=$((SECONDS + 30))
  for name in $names; do
    while alive "$RUN/$name.pid"; do
      if ((SECONDS >= deadline)); then
        kill -9 "$(cat "$RUN/$name.pid")" 2>/dev/null || true
      fi
      sleep 0.2
    done
    rm -f "$RUN/$name.pid"
  done
  if $any; then echo "flink-cluster: stopped"; else echo "flink-cluster: not running"; fi
}

status() {
  local jm=stopped tm=stopped port name
  port=$(cat "$RUN/rest.port" 2>/dev/null || echo "")
  alive "$RUN/jobmanager.pid" && jm="running (pid $(cat "$RUN/jobmanager.pid"))"
  echo "jobmanager:  $jm"
  alive "$RUN/taskmanager.pid" && tm="running (pid $(cat "$RUN/taskmanager.pid"))"
  echo "taskmanager: $tm"
  for name in $(known_taskmanagers); do
    [[ $name == taskmanager ]] && continue
    if alive "$RUN/$name.pid"; then echo "$name: running (pid $(cat "$RUN/$name.pid"))"; else echo "$name: stopped"; fi
  done
  if [[ $jm == running* && -n $port ]]; then
    echo "rest:        http://127.0.0.1:$port ($(registered_taskmanagers "$port") TaskManagers registered)"
    return 0
  fi
  return 3
}

case ${1:-} in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
