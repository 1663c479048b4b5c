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
  # shellcheck disable=SC2086
  exec java ${JAVA_OPTS:-} $flags $log4j -cp "$(cat "$ROOT/target/runtime-classpath.txt")" \
    org.apache.spark.deploy.SparkSubmit --master "${SPARK_MASTER:-local[*]}" \
    --conf "spark.driver.memory=${SPARK_DRIVER_MEMORY:-4g}" \
    ${SPARK_SUBMIT_OPTS_EXTRA:-} \
    --class "$main" "$JAR" "$@"
}
