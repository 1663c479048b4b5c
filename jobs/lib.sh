#!/usr/bin/env bash
# Shared by jobs/*.sh: build the application jar when needed and launch a main class through
# Spark's own SparkSubmit, with SPARK_HOME's spark-submit when set, else from the Maven classpath.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/target/spark-attention.jar"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# One task per core: keep native BLAS single-threaded inside tasks.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

# The JVM flags Spark 4 needs on Java 17, and the Vector API module (pom.xml: spark.jvm.flags).
jvm_flags() {
  sed -n 's:.*<spark.jvm.flags>\(--.*\)</spark.jvm.flags>.*:\1:p' "$ROOT/pom.xml" | head -1
}

build_if_needed() {
  if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]; then
    echo "[spark-attention] building the application jar (mvn package) ..." >&2
    (cd "$ROOT" && mvn -B -q -ntp -DskipTests package >&2)
  fi
  local cpfile="$ROOT/target/runtime-classpath.txt"
  if [ ! -f "$cpfile" ] || [ "$ROOT/pom.xml" -nt "$cpfile" ]; then
    (cd "$ROOT" && mvn -B -q -ntp dependency:build-classpath -Dmdep.includeScope=provided \
      -Dmdep.outputFile="$cpfile" >&2)
  fi
}

# Class-data sharing (JDK AppCDS): a JVM that runs the job loads and verifies ~20,000 classes,
# several seconds of every run. An archive of them, made once per build by a run on the samples,
# lets later JVMs map them instead (README, "Start-up time"). SPARK_ATTENTION_CDS=off skips it.
CDS_ARCHIVE="$ROOT/target/spark-attention.jsa"

# Echoes the JVM flags that use the archive, making it first when missing or older than the build.
cds_flags() {
  if [ "${SPARK_ATTENTION_CDS:-on}" = off ]; then
    return
  fi
  local cpfile="$ROOT/target/runtime-classpath.txt"
  local failed="$CDS_ARCHIVE.failed" # a failed attempt is not retried until the next build
  if [ -f "$failed" ] && [ "$failed" -nt "$JAR" ] && [ "$failed" -nt "$cpfile" ]; then
    return
  fi
  if [ ! -f "$CDS_ARCHIVE" ] || [ "$JAR" -nt "$CDS_ARCHIVE" ] || [ "$cpfile" -nt "$CDS_ARCHIVE" ]; then
    echo "[spark-attention] making a class-data archive for faster JVM starts (once per build," \
      "about 30 s; SPARK_ATTENTION_CDS=off skips it) ..." >&2
    local tmp
    tmp="$(mktemp -d)"
    # shellcheck disable=SC2046
    if (cd "$ROOT" && java $(jvm_flags) -XX:ArchiveClassesAtExit="$tmp/archive.jsa" \
      -Dlog4j.configurationFile=conf/log4j2.properties -cp "$(cat "$cpfile")" \
      org.apache.spark.deploy.SparkSubmit --master "local[2]" \
      --class org.sparkattention.job.AttentionJob "$JAR" --config conf/attention.properties \
      --output "$tmp/out" --maps.output "$tmp/maps") >"$tmp/log" 2>&1 && [ -s "$tmp/archive.jsa" ]; then
      mv "$tmp/archive.jsa" "$CDS_ARCHIVE"
    else
      echo "[spark-attention] could not make the archive (see $tmp/log); starting without it" \
        "until the next build" >&2
      touch "$failed"
      return
    fi
    rm -rf "$tmp"
  fi
  # The JVM falls back to loading classes itself if the archive does not fit this JVM; its own
  # notes go to stderr, never to stdout, whose last line is the job's summary.
  echo "-XX:SharedArchiveFile=$CDS_ARCHIVE -Xlog:disable -Xlog:all=warning:stderr"
}

# submit MAIN_CLASS ARGS...: run MAIN_CLASS from the application jar through SparkSubmit.
submit() {
  local main="$1"
  shift
  build_if_needed
  local flags
  flags="$(jvm_flags)"
  local log4j="-Dlog4j.configurationFile=$ROOT/conf/log4j2.properties"
  if [ -n "${SPARK_HOME:-}" ]; then
    # shellcheck disable=SC2086
    exec "$SPARK_HOME/bin/spark-submit" --master "${SPARK_MASTER:-local[*]}" \
      --driver-java-options "$flags $log4j" \
      --conf "spark.executor.extraJavaOptions=$flags" \
      --conf "spark.executorEnv.OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS" \
      ${SPARK_SUBMIT_OPTS_EXTRA:-} \
      --class "$main" "$JAR" "$@"
  fi
  local cds
  cds="$(cds_flags)"
  # shellcheck disable=SC2086
  exec java $cds ${JAVA_OPTS:-} $flags $log4j -cp "$(cat "$ROOT/target/runtime-classpath.txt")" \
    org.apache.spark.deploy.SparkSubmit --master "${SPARK_MASTER:-local[*]}" \
    --conf "spark.driver.memory=${SPARK_DRIVER_MEMORY:-4g}" \
    ${SPARK_SUBMIT_OPTS_EXTRA:-} \
    --class "$main" "$JAR" "$@"
}
