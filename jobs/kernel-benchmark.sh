#!/usr/bin/env bash
# JMH benchmark of the attention kernel beside plain dgemm, one thread, reported in GFLOP/s.
#   jobs/kernel-benchmark.sh                        # L in {128, 1024, 4096}, maps none/heads
#   jobs/kernel-benchmark.sh -p seqLen=1024 -p maps=none -p blockSize=64,128,256
#   jobs/kernel-benchmark.sh -p seqLen=1024 -p maps=none,summary,topk  # the statistics' cost
#   jobs/kernel-benchmark.sh --shapes                  # the kernel's products alone, fixed-order and dgemm
#   jobs/kernel-benchmark.sh --packed                  # fixed-order projections beside dgemm
#   jobs/kernel-benchmark.sh --short                   # short and tiny sequences, us a sequence
#   jobs/kernel-benchmark.sh --map-cost [L]            # what summary and top-k add, paired passes
#   jobs/kernel-benchmark.sh --topk-scan [L [K [n]]]   # the top-k scan alone on fresh score tiles
#   jobs/kernel-benchmark.sh --memory [L]              # one L = S = 32768 sequence in a 2 GB heap
#   jobs/kernel-benchmark.sh --write [rows L E rounds] # Parquet writers on float matrices, local[2]
# Extra arguments are JMH's. Uses native OpenBLAS when installed (apt-get install
# libopenblas0-pthread), the Vector API otherwise.
set -euo pipefail
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
cd "$(dirname "$0")/.."
source jobs/lib.sh
mvn_quiet -Pbench -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
flags=$(sed -n 's:.*<spark.jvm.flags>\(--.*\)</spark.jvm.flags>.*:\1:p' pom.xml | head -1)
export OPENBLAS_NUM_THREADS=1
source jobs/bench/openblas.sh
cp="target/test-classes:target/classes:$(cat target/test-classpath.txt)"
# The modes other than JMH's kernel report: their main class.
case "${1:-}" in
  --shapes) main=org.sparkattention.kernel.ProductShapesBenchmark ;;
  --short) main=org.sparkattention.bench.ShortSequenceBenchmark ;;
  --map-cost) main=org.sparkattention.bench.MapStatisticsCost ;;
  --topk-scan) main=org.sparkattention.kernel.TopKScanCost ;;
  --packed) main=org.sparkattention.kernel.PackedGemmBenchmark ;;
  --memory) main=org.sparkattention.bench.KernelMemoryCheck ;;
  *) main="" ;;
esac
if [ -n "$main" ]; then
  shift
  # shellcheck disable=SC2086
  exec java -Xmx2g $flags -cp "$cp" "$main" "$@"
fi
if [ "${1:-}" = "--write" ]; then
  shift
  # shellcheck disable=SC2086
  exec java -Xmx4g $flags -Dlog4j.configurationFile=conf/log4j2.properties -cp "$cp" \
    org.sparkattention.bench.ParquetWriteBenchmark "$@"
fi
# shellcheck disable=SC2086
exec java -Xmx4g $flags -cp "$cp" org.sparkattention.bench.KernelBenchmarkReport "$@"
