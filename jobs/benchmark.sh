#!/usr/bin/env bash
# Whole-job benchmark against torch.nn.MultiheadAttention on the same cores, in one run:
#   jobs/benchmark.sh              # all workloads, then BENCHMARKS.md and BENCHMARKS.png
#   jobs/benchmark.sh headline     # only the named workloads (floor headline headline-1file long
#                                  # short skewed tiny)
#   RUNS=5 jobs/benchmark.sh       # rounds of the job per workload and maps mode (default 3; the
#                                  # median is reported; maps=mean runs once; the headline and L
#                                  # 4096 also run maps=summary and maps=topk, in turn with none)
#   jobs/benchmark.sh headline long short skewed headline-x8
#                                  # also the headline at 8x the sequences (only when named: it
#                                  # adds about 15 minutes; maps off only)
#   jobs/benchmark.sh short-e128 short-e256 short-e128-30k
#                                  # short sequences in one file each (only when named; maps off)
# Generates each workload once with jobs/generate.sh (kept under target/bench/data), runs the job
# on it (Parquet in, Parquet out; maps off, maps=mean, and for the headline and L 4096 the
# statistics maps), times torch at its best (Debian's python3-torch, eval, need_weights=False,
# float64 and float32, 2 threads and its BLAS on both, OpenBLAS's kernels for this CPU
# (jobs/bench/openblas.sh), sequences sorted by length in batches of 256 padded with a
# key_padding_mask, of 4 from L = 1024 on) on in-memory tensors of the same shapes, and prints the
# table and the targets as pass/fail lines.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  source "$ROOT/jobs/lib.sh"
  echo "$ENVIRONMENT_HELP"
  exit 0
fi
cd "$ROOT"
BENCH="$ROOT/target/bench"
mkdir -p "$BENCH/data" "$BENCH/results"

need_apt() { # need_apt PACKAGE TEST-COMMAND...
  local pkg="$1"
  shift
  if ! "$@" >/dev/null 2>&1; then
    echo "[benchmark] installing $pkg with apt-get (needed for this benchmark)" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q "$pkg" >/dev/null; else sudo apt-get install -y -q "$pkg" >/dev/null; fi
  fi
}
need_apt python3-torch /usr/bin/python3 -c "import torch"
need_apt libopenblas0-pthread sh -c "ldconfig -p | grep -q libopenblas"
need_apt python3-matplotlib /usr/bin/python3 -c "import matplotlib"

echo "[benchmark] building" >&2
source jobs/lib.sh
# -Pbench: the dgemm baseline is one of the benchmark classes.
mvn_quiet -Pbench -DskipTests package test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
# The launcher records its class-data archive in the first run of a build: not a timed one.
jobs/attention.sh --config conf/attention.properties --output "$BENCH/warm-up/out" \
  --maps.output "$BENCH/warm-up/maps" --mode overwrite >/dev/null
flags=$(sed -n 's:.*<spark.jvm.flags>\(--.*\)</spark.jvm.flags>.*:\1:p' pom.xml | head -1)
export OPENBLAS_NUM_THREADS=1 SPARK_LOCAL_IP=127.0.0.1
source jobs/bench/openblas.sh

# name | generate.sh arguments | heads | maps modes | run without being named | driver heap
WORKLOADS=(
  # The job on next to nothing: its fixed cost on this machine, the floor of every other run.
  "floor|--sequences 2 --min-len 4 --max-len 4 --embed-dim 256 --files 2|8|none|yes"
  "headline|--sequences 192 --min-len 1024 --max-len 1024 --embed-dim 256 --files 8|8|none mean summary topk|yes"
  # The headline as DuckDB, pyarrow or Polars write a small table: one file, one row group.
  "headline-1file|--sequences 192 --min-len 1024 --max-len 1024 --embed-dim 256 --files 1 --row-group-mb 1024|8|none|yes"
  "long|--sequences 8 --min-len 4096 --max-len 4096 --embed-dim 256 --files 4|8|none mean summary topk|yes"
  "short|--sequences 20000 --min-len 8 --max-len 64 --embed-dim 256 --files 8|8|none mean|yes"
  "skewed|--sequences 3000 --min-len 16 --max-len 128 --long-sequences 6 --long-len 3072 --embed-dim 256 --files 8|8|none mean|yes"
  # Ten million one- or two-token rows in one file: the per-row costs. In local mode the driver
  # heap also holds the executor (512 MB ran out of memory; README, Scale, runs it on a cluster).
  "tiny|--sequences 10000000 --min-len 1 --max-len 2 --embed-dim 4 --files 1|1|none|yes|2g"
  # The headline's shapes with Spark's fixed costs (start, planning) spread over 8x the work.
  "headline-x8|--sequences 1536 --min-len 1024 --max-len 1024 --embed-dim 256 --files 8|8|none|no"
  # Short sequences as most inputs are, in one file each (about 12 minutes more with torch).
  "short-e128|--sequences 120000 --min-len 4 --max-len 48 --embed-dim 128 --files 1|4|none|no"
  "short-e256|--sequences 80000 --min-len 8 --max-len 64 --embed-dim 256 --files 1|8|none|no"
  "short-e128-30k|--sequences 30000 --min-len 4 --max-len 48 --embed-dim 128 --files 1|4|none|no"
)
selected=("$@")

echo "[benchmark] dgemm baseline: one single-threaded dgemm per core" >&2
# shellcheck disable=SC2086
java $flags -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" \
  org.sparkattention.bench.DgemmBaseline 2 2>/dev/null | tail -1 > "$BENCH/results/dgemm.json"
dd if=/dev/zero of="$BENCH/dd.tmp" bs=1M count=512 conv=fdatasync 2>&1 | tail -1 > "$BENCH/results/dd.txt"
rm -f "$BENCH/dd.tmp"

for w in "${WORKLOADS[@]}"; do
  IFS='|' read -r name genargs heads mapmodes default driver_memory <<<"$w"
  embed_dim=$(sed -n 's/.*--embed-dim \([0-9]*\).*/\1/p' <<<"$genargs")
  if [ "${#selected[@]}" -gt 0 ] && [[ ! " ${selected[*]} " =~ " $name " ]]; then continue; fi
  if [ "${#selected[@]}" -eq 0 ] && [ "$default" != yes ]; then continue; fi
  data="$BENCH/data/$name"
  if [ ! -f "$data/lengths.txt" ] || [ ! -d "$data/input" ]; then
    echo "[benchmark] generating $name: $genargs" >&2
    # shellcheck disable=SC2086
    jobs/generate.sh --output "$data" $genargs >/dev/null 2>"$BENCH/results/$name.generate.log"
  fi
  runs="${RUNS:-3}"
  for maps in $mapmodes; do rm -f "$BENCH/results/$name.$maps.json"; done
  # Rounds of every mode in turn, so that the modes' ratios are measured side by side; maps=mean
  # runs once (what it costs is its bytes).
  for run in $(seq "$runs"); do
    for maps in $mapmodes; do
      if [ "$maps" = mean ] && [ "$run" -gt 1 ]; then continue; fi
      out="$BENCH/out/$name-$maps"
      rm -rf "$out" "$out-maps"
      mapargs=()
      if [ "$maps" != none ]; then mapargs=(--maps "$maps" --maps.output "$out-maps"); fi
      echo "[benchmark] job $name maps=$maps, round $run of $runs" >&2
      start=$(date +%s.%N)
      SPARK_MASTER="local[2]" SPARK_DRIVER_MEMORY="${driver_memory:-${SPARK_DRIVER_MEMORY:-}}" \
        jobs/attention.sh --input "$data/input" --weights "$data/weights.safetensors" \
        --heads "$heads" --output "$out" "${mapargs[@]}" >"$BENCH/results/$name.$maps.stdout" \
        2>"$BENCH/results/$name.$maps.stderr"
      end=$(date +%s.%N)
      mapbytes=0
      if [ "$maps" != none ]; then mapbytes=$(du -sb "$out-maps" | cut -f1); fi
      /usr/bin/python3 - "$BENCH/results/$name.$maps.stdout" "$start" "$end" "$mapbytes" \
        >>"$BENCH/results/$name.$maps.json" <<'PY'
import json, sys
summary = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
summary["process_wall_seconds"] = float(sys.argv[3]) - float(sys.argv[2])
summary["map_bytes"] = int(sys.argv[4])
print(json.dumps(summary))
PY
      rm -rf "$out" "$out-maps"
    done
  done
  echo "[benchmark] torch $name" >&2
  # torch's BLAS on both cores: OPENBLAS_NUM_THREADS=1 is for the dgemm baseline (one per core).
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 jobs/bench/torch_mha.py --lengths-file "$data/lengths.txt" \
    --embed-dim "$embed_dim" --heads "$heads" --threads 2 --batch 256 --long-batch 4 \
    --long-from 1024 >"$BENCH/results/$name.torch.jsonl"
done

/usr/bin/python3 jobs/bench/report.py "$BENCH/results" "$ROOT/BENCHMARKS.md" "$ROOT/BENCHMARKS.png" \
  "jobs/benchmark.sh $*"
