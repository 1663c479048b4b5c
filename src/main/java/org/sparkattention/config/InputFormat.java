package org.sparkattention.config;

/** The input's file format ({@code input.format}): Spark's data source of that name. */
public enum InputFormat implements Choice {
  PARQUET,
  JSON,
  ORC
}
