#!/usr/bin/env bash
# Synthetic inputs and weights of any size:
#   jobs/generate.sh --output DIR [--sequences N] [--min-len A] [--max-len B]
#                    [--long-sequences K] [--long-len L] [--embed-dim E] [--seed S] [--files F]
# writes DIR/input (Parquet: id, date, x) and DIR/weights.safetensors (nn.MultiheadAttention, F32).
source "$(dirname "$0")/lib.sh"
submit org.sparkattention.io.SyntheticDataGenerator "$@"
