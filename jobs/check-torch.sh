#!/usr/bin/env bash
# Recomputes a sample of a finished run's rows with torch.nn.MultiheadAttention and prints the
# largest differences of its outputs and maps (heads, mean or summary):
#   jobs/check-torch.sh --output DIR [--sample N]      # N rows, default 20
# DIR is the run's output dataset; its _attention_summary.json names the input, weights and
# settings. Needs Debian's python3 with python3-torch (sudo apt-get install python3-torch).
# Exit 0 when every compared value is PyTorch's within float32 rounding, 1 when not, 2 on errors.
source "$(dirname "$0")/lib.sh"
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
output=""
sample=20
while [ "$#" -gt 0 ]; do
  case "$1" in
    --help | -h) usage; echo "$ENVIRONMENT_HELP"; exit 0 ;;
    --output) output="${2:-}"; shift 2 ;;
    --sample) sample="${2:-}"; shift 2 ;;
    *) echo "error: unknown option '$1' (jobs/check-torch.sh --help lists the options)" >&2; exit 2 ;;
  esac
done
if [ -z "$output" ]; then
  echo "error: --output DIR is required (jobs/check-torch.sh --help)" >&2
  exit 2
fi
PYTHON="${PYTHON:-/usr/bin/python3}"
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "error: PyTorch is not installed for $PYTHON: sudo apt-get install python3-torch" \
    "(Debian, Ubuntu), or set PYTHON to a python with torch" >&2
  exit 2
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(SPARK_MASTER="${SPARK_MASTER:-local[2]}" submit org.sparkattention.job.TorchCheckExport \
  "$output" "$sample" "$tmp") >&2
"$PYTHON" "$ROOT/jobs/check_torch.py" "$tmp"
