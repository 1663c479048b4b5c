/**
 * The job's configuration keys (typed, with default, parser, validator and help) and their four
 * layers: defaults, the --config file, Spark conf spark.attention.*, the command line.
 */
package org.sparkattention.config;
