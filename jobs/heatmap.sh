#!/usr/bin/env bash
# Pictures of written maps:
#   jobs/heatmap.sh --maps DIR --id ID [--head H] --output FILE.png     # heatmaps of one sequence
#   jobs/heatmap.sh --summary DIR --id ID [--head H] --output FILE.png  # its statistics as charts
# Reads the dataset with Spark in local mode; paths are relative to the current directory.
# --help lists the options.
source "$(dirname "$0")/lib.sh"
if [ "$*" = --help ] || [ "$*" = -h ]; then
  help_of org.sparkattention.viz.HeatmapCommand
  exit 0
fi
SPARK_MASTER="${SPARK_MASTER:-local[2]}" submit org.sparkattention.viz.HeatmapCommand "$@"
