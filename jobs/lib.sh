#!/usr/bin/env bash
# Shared by jobs/*.sh: build the application jar when needed and launch a main class through
# Spark's own SparkSubmit, with SPARK_HOME's spark-submit when set, else from the Maven classpath.
# Nothing here changes the caller's directory: relative paths mean what they mean to the caller.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/target/spark-attention.jar"
CLASSPATH_FILE="$ROOT/target/runtime-classpath.txt"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

# The launcher's environment variables, for every script's --help.
ENVIRONMENT_HELP='Environment:
  SPARK_HOME               use $SPARK_HOME/bin/spark-submit (default: Spark from the Maven
                           classpath, in local mode)
  SPARK_MASTER             the master (default: local[*])
  SPARK_DRIVER_MEMORY      the driver heap, for example 4g, also in local mode (default: the JVM
                           default, a quarter of the memory)
  SPARK_SUBMIT_OPTS_EXTRA  more spark-submit options ("--conf spark.executor.memory=8g")
  SPARK_ATTENTION_CDS      off: no class-data archive or AOT cache (default: on)
  SPARK_ATTENTION_JIT      default: C2 thresholds as the JVM sets them (default: ten times the
                           calls, which start a job faster on few cores)'

# C2 compiles a method after 50,000 calls or 200,000 loop iterations instead of 5,000 and 40,000:
# the kernel's loops still get there within its first sequences, but the thousands of lukewarm
# Spark and Parquet methods no longer take C2's time from the tasks on a small machine (README,
# Benchmarks: 5% to 15% off end to end here, measured side by side).
JIT_FLAGS="-XX:Tier4InvocationThreshold=50000 -XX:Tier4CompileThreshold=60000 -XX:Tier4BackEdgeThreshold=200000"
if [ "${SPARK_ATTENTION_JIT:-raised}" = default ]; then
  JIT_FLAGS=""
fi

say() { echo "[spark-attention] $*" >&2; }

# mvn ARGS...: Maven, quiet, its output on stderr without colour codes (Maven 3.8's console
# library writes some even in batch mode).
mvn_quiet() {
  (cd "$ROOT" && mvn -B -q -ntp -Dstyle.color=never "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2)
}

# The JVM flags Spark 4 needs on Java 17, and the Vector API module (pom.xml: spark.jvm.flags).
jvm_flags() {
  sed -n 's:.*<spark.jvm.flags>\(--.*\)</spark.jvm.flags>.*:\1:p' "$ROOT/pom.xml" | head -1
}

build_if_needed() {
  local classpath=(dependency:build-classpath -Dmdep.includeScope=provided
    -Dmdep.outputFile="$CLASSPATH_FILE")
  if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]; then
    say "building the application jar (mvn package, about a minute the first time) ..."
    mvn_quiet -DskipTests package "${classpath[@]}" # one Maven start for both
    touch "$CLASSPATH_FILE"
    say "built $JAR"
  elif [ ! -f "$CLASSPATH_FILE" ] || [ "$ROOT/pom.xml" -nt "$CLASSPATH_FILE" ]; then
    mvn_quiet "${classpath[@]}"
    # The plugin leaves a file whose classpath did not change as it was: without the touch, every
    # run after an edit of pom.xml would start Maven again (3 to 4 s).
    touch "$CLASSPATH_FILE"
  fi
}

# Class-data sharing (JDK AppCDS): a JVM that runs the job loads and verifies ~20,000 classes,
# several seconds of every run. The first successful run of a build saves the classes it loaded
# to an archive as it exits; later runs map them instead (README, "Start-up time").

# archive_setup ARCHIVE NEWER_THAN USE RECORD MAY_RECORD: sets CDS_ARCHIVE to ARCHIVE, and
# CDS_FLAGS (the JVM flags that use or make it) to option USE with ARCHIVE when it is newer than the
# jar and NEWER_THAN, else (only when MAY_RECORD is yes) to option RECORD with CDS_RECORDING, the
# file this run records to (run_recording renames it to ARCHIVE when the run succeeds).
archive_setup() {
  CDS_ARCHIVE="$1"
  if [ -f "$1" ] && [ "$1" -nt "$JAR" ] && [ "$1" -nt "$2" ]; then
    # The JVM's own notes go to stderr, never to stdout, whose last line is the job's summary. An
    # archive that does not fit this JVM or class path is refused with a warning, and the JVM
    # starts as it would without.
    CDS_FLAGS="$3$1 -Xlog:disable -Xlog:all=warning:stderr"
    return
  fi
  if [ "$5" != yes ]; then
    return
  fi
  CDS_RECORDING="$1.$$"
  CDS_FLAGS="$4$CDS_RECORDING -Xlog:disable -Xlog:all=error:stderr"
  say "this first run of the build also records a class-data archive when the job has ended" \
    "(10 to 20 s, once), so that later runs start faster; SPARK_ATTENTION_CDS=off skips it"
}

# cds_setup MAY_RECORD: CDS_FLAGS and CDS_RECORDING (archive_setup) for the JVM that runs
# SparkSubmit from the Maven classpath.
cds_setup() {
  CDS_FLAGS=""
  CDS_RECORDING=""
  if [ "${SPARK_ATTENTION_CDS:-on}" = off ]; then
    return
  fi
  archive_setup "$ROOT/target/spark-attention.jsa" "$CLASSPATH_FILE" \
    -XX:SharedArchiveFile= -XX:ArchiveClassesAtExit= "$1"
}

# The same for a Spark installation's driver, with a local master (local, local-cluster: the driver
# JVM is the one spark-submit starts here): a class-data archive (AppCDS) before Java 25, and from
# Java 25 on an AOT cache (JEP 483, 514, 515: the classes loaded and linked, and the methods'
# profiles; its recording run ends about 20 s later). One per Spark installation and Java.
# home_archive_setup JAVA MAY_RECORD: CDS_FLAGS and CDS_RECORDING (archive_setup) for this
# installation's and Java's archive.
home_archive_setup() {
  CDS_FLAGS=""
  CDS_RECORDING=""
  if [ "${SPARK_ATTENTION_CDS:-on}" = off ] || [[ "${SPARK_MASTER:-local[*]}" != local* ]]; then
    return
  fi
  local about version key
  about="$("$1" -version 2>&1 | head -2)"
  version="$(sed -n 's/.* version "\([0-9]*\).*/\1/p' <<<"$about" | head -1)"
  if [ -z "$version" ] || [ "$version" -lt 17 ]; then
    return
  fi
  key="$(printf '%s %s' "$SPARK_HOME" "$about" | cksum | cut -d' ' -f1)"
  if [ "$version" -ge 25 ]; then
    # The JVM reports the cache's assembly on its own output: to stderr (stdout ends with the
    # summary as always), where archive_quiet leaves it out.
    archive_setup "$ROOT/target/spark-attention-$key.aot" "$SPARK_HOME/jars" -XX:AOTCache= \
      "-XX:+DisplayVMOutputToStderr -XX:AOTCacheOutput=" "$2"
  else
    archive_setup "$ROOT/target/spark-attention-$key.jsa" "$SPARK_HOME/jars" \
      -XX:SharedArchiveFile= -XX:ArchiveClassesAtExit= "$2"
  fi
}

# archive_quiet COMMAND...: execs COMMAND with its stderr less the JVM's lines on assembling an AOT
# cache (its notes, the child JVM's class path, and the full module graph it cannot archive with
# the flags Spark needs, which it reports as errors though the cache is made).
archive_quiet() {
  exec "$@" 2> >(grep -v -E --line-buffered '^(Temporary AOTConfiguration|Launching child process|Picked up JAVA_TOOL_OPTIONS|Reading AOTConfiguration|AOTCache creation is complete|Removed temporary AOT|\[[0-9.]+s\]\[error\]\[aot)' >&2)
}

# run_recording COMMAND...: runs the JVM in the foreground (signals forwarded: a scheduler's
# SIGTERM or a Ctrl-C reaches it as if it had been exec'd), then keeps its archive if it succeeded.
run_recording() {
  set -m # the JVM in its own process group, not ignoring SIGINT as background jobs do
  "$@" &
  local pid=$! rc
  trap 'kill -INT $pid 2>/dev/null' INT
  trap 'kill -TERM $pid 2>/dev/null' TERM
  trap 'kill -HUP $pid 2>/dev/null' HUP
  while true; do
    rc=0
    wait "$pid" || rc=$?
    if ! kill -0 "$pid" 2>/dev/null; then break; fi # a trapped signal ended the wait, not the JVM
  done
  trap - INT TERM HUP
  if [ "$rc" = 0 ] && [ -s "$CDS_RECORDING" ]; then
    mv -f "$CDS_RECORDING" "$CDS_ARCHIVE"
    say "saved the class-data archive $CDS_ARCHIVE"
  else
    rm -f "$CDS_RECORDING"
  fi
  rm -f "$CDS_RECORDING.config" # an AOT cache's recording, left by a JVM that did not make it
  return "$rc"
}

# help_of MAIN_CLASS: its --help (run directly, without Spark), then the launcher's environment.
help_of() {
  build_if_needed
  # shellcheck disable=SC2046
  java $(jvm_flags) -cp "$JAR:$(cat "$CLASSPATH_FILE")" "$1" --help
  echo "$ENVIRONMENT_HELP"
}

# submit MAIN_CLASS ARGS...: run MAIN_CLASS from the application jar through SparkSubmit.
submit() {
  local main="$1"
  shift
  build_if_needed
  local flags
  flags="$(jvm_flags)"
  local log4j="-Dlog4j.configurationFile=$ROOT/conf/log4j2.properties"
  local memory=()
  if [ -n "${SPARK_DRIVER_MEMORY:-}" ]; then
    memory=(--driver-memory "$SPARK_DRIVER_MEMORY")
  else
    # Set but empty, Spark's own reading of it fails: "Driver memory must be a positive number".
    unset SPARK_DRIVER_MEMORY
  fi
  # The archive is recorded by a job run (not --help or --version), whose classes are the job's.
  local may_record=no
  if [ "$main" = org.sparkattention.job.AttentionJob ] && [[ ! " $* " =~ \ --(help|version)\  ]]; then
    may_record=yes
  fi
  if [ -n "${SPARK_HOME:-}" ]; then
    home_archive_setup "${JAVA_HOME:+$JAVA_HOME/bin/}java" "$may_record"
    # shellcheck disable=SC2086
    local command=("$SPARK_HOME/bin/spark-submit" --master "${SPARK_MASTER:-local[*]}" "${memory[@]}"
      --driver-java-options "$CDS_FLAGS $flags $JIT_FLAGS $log4j"
      --conf "spark.executor.extraJavaOptions=$flags $JIT_FLAGS"
      ${SPARK_SUBMIT_OPTS_EXTRA:-}
      --class "$main" "$JAR" "$@")
    if [ -n "$CDS_RECORDING" ]; then
      run_recording archive_quiet "${command[@]}"
      exit $?
    fi
    exec "${command[@]}"
  fi
  # Without SPARK_HOME, SparkSubmit runs inside this JVM: the driver memory is its -Xmx.
  local heap=""
  if [ -n "${SPARK_DRIVER_MEMORY:-}" ]; then
    heap="-Xmx$SPARK_DRIVER_MEMORY"
  fi
  cds_setup "$may_record"
  # shellcheck disable=SC2086
  local command=(java $CDS_FLAGS $heap $JIT_FLAGS ${JAVA_OPTS:-} $flags $log4j -cp "$(cat "$CLASSPATH_FILE")"
    org.apache.spark.deploy.SparkSubmit --master "${SPARK_MASTER:-local[*]}" "${memory[@]}"
    ${SPARK_SUBMIT_OPTS_EXTRA:-} --class "$main" "$JAR" "$@")
  if [ -n "$CDS_RECORDING" ]; then
    run_recording "${command[@]}"
    exit $?
  fi
  exec "${command[@]}"
}
