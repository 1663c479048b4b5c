/**
 * The Spark wiring: checks before any stage, the scan, the cost plan, the per-task computation,
 * staged commits, the summary, and {@code main}.
 */
package org.sparkattention.job;
