#!/usr/bin/env bash
# Remakes the samples: the weights of a real nn.MultiheadAttention(32, 4) (needs Debian's
# python3-torch) and 300 sequences of 4 to 48 tokens with a carried date column.
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 data-samples/make_samples.py
tmp=$(mktemp -d)
jobs/generate.sh --output "$tmp" --sequences 300 --min-len 4 --max-len 48 --embed-dim 32 --seed 2026 --files 2
rm -rf data-samples/sequences
mv "$tmp/input" data-samples/sequences
rm -rf "$tmp" data-samples/sequences/.*.crc data-samples/sequences/_SUCCESS
