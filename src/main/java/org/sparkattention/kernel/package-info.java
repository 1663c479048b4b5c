/**
 * The blocked multi-head attention kernel on MLlib {@code DenseMatrix} and netlib BLAS: tiles of
 * queries x keys, the online softmax, exact attention maps from the row log-sum-exp, the cost
 * model. Knows nothing of Spark SQL, files or configuration.
 */
package org.sparkattention.kernel;
