/**
 * The attention layer's weights: the safetensors reader and writer, and the mapping of a PyTorch
 * {@code nn.MultiheadAttention} state_dict into immutable, shape-checked matrices.
 */
package org.sparkattention.model;
