/**
 * The column contract: which input columns hold the sequences, converting Spark rows to matrices
 * and back, the output, map and bad-row schemas, and the synthetic data generator. The only place
 * that knows the dataset layout.
 */
package org.sparkattention.io;
