#!/usr/bin/env bash
# Runs the attention job: jobs/attention.sh [--config FILE] [--KEY VALUE ...]
# With no arguments it runs the samples in data-samples/ with conf/attention.properties (output
# under out/). With SPARK_HOME set it uses $SPARK_HOME/bin/spark-submit and SPARK_MASTER
# (default local[*]); otherwise Spark's SparkSubmit from the Maven classpath in local mode.
# SPARK_SUBMIT_OPTS_EXTRA adds spark-submit options (for example "--conf spark.executor.memory=8g").
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
if [ "$#" -eq 0 ]; then
  set -- --config conf/attention.properties
fi
submit org.sparkattention.job.AttentionJob "$@"
