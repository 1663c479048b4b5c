package org.sparkattention.kernel;

import java.io.Serializable;

/**
 * The walk over key tiles that every pass of the kernel shares (scores, the online softmax, the
 * maps): tiles of the block size up to the causal diagonal, then the extra keys as one tile. It
 * counts the tiles it visits in the workspace, so tests can see what a mask skips.
 */
final class KeyTiles implements Serializable {
  private static final long serialVersionUID = 1L;

  private final boolean causal;
  private final int blockSize;

  KeyTiles(boolean causal, int blockSize) {
    this.causal = causal;
    this.blockSize = blockSize;
  }

  /** A tile of keys k0..k0+kn. */
  interface Tile {
    void accept(int k0, int kn);
  }

  /**
   * The key tiles queries q0..q0+qn see, in order: the real keys in tiles of the block size,
   * stopping at the causal diagonal (tiles wholly above it are never computed), then the extra keys
   * (bias_k, the zero key), never masked, as one last tile.
   */
  void forEach(AttentionWorkspace ws, int q0, int qn, Tile tile) {
    int realKeyEnd = causal ? Math.min(ws.keyLen, q0 + qn) : ws.keyLen;
    for (int k0 = 0; k0 < realKeyEnd; k0 += blockSize) {
      ws.keyTilesVisited++;
      tile.accept(k0, Math.min(blockSize, realKeyEnd - k0));
    }
    if (ws.keyLenWithExtras > ws.keyLen) {
      ws.keyTilesVisited++;
      tile.accept(ws.keyLen, ws.keyLenWithExtras - ws.keyLen);
    }
  }
}
