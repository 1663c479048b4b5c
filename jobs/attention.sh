#!/usr/bin/env bash
# Runs the attention job: jobs/attention.sh [--config FILE] [--KEY VALUE ...] [--dry-run]
#   jobs/attention.sh --help | --version
# With no arguments it runs the samples in data-samples/ with conf/attention.properties (output
# under out/ in the repository). Relative paths, on the command line and in a --config file, are
# resolved against the directory it is run from. With SPARK_HOME set it uses
# $SPARK_HOME/bin/spark-submit and SPARK_MASTER (default local[*]); otherwise Spark's SparkSubmit
# from the Maven classpath in local mode. --help lists the keys and the environment variables.
source "$(dirname "$0")/lib.sh"
if [ "$#" -eq 0 ]; then
  cd "$ROOT" # the sample run's paths are the repository's
  set -- --config conf/attention.properties
fi
if [ "$*" = --help ] || [ "$*" = -h ]; then
  help_of org.sparkattention.job.AttentionJob
  exit 0
fi
submit org.sparkattention.job.AttentionJob "$@"
