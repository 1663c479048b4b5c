#!/usr/bin/env bash
# Synthetic inputs and weights of any size:
#   jobs/generate.sh --output DIR [--sequences N] [--min-len A] [--max-len B]
#                    [--long-sequences K] [--long-len L] [--embed-dim E] [--seed S] [--files F]
# writes DIR/input (Parquet: id, date, x) and DIR/weights.safetensors (nn.MultiheadAttention, F32);
# DIR is relative to the current directory. --help lists the options and their defaults.
source "$(dirname "$0")/lib.sh"
if [ "$*" = --help ] || [ "$*" = -h ]; then
  help_of org.sparkattention.io.SyntheticDataGenerator
  exit 0
fi
submit org.sparkattention.io.SyntheticDataGenerator "$@"
