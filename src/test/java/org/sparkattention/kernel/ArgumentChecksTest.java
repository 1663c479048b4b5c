package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.sparkattention.model.AttentionWeights;

/** Every argument check of the kernel's public API, with its message naming both sizes. */
class ArgumentChecksTest {
  private static final Random RND = new Random(5);
  private static final AttentionWeights W = RandomAttention.weights(RND, 8, 6, 4, true, false);
  private static final BlockedAttentionKernel KERNEL =
      new BlockedAttentionKernel(W, AttentionOptions.of(2));

  private static void assertMessage(Class<? extends Throwable> type, String message, Executable e) {
    assertEquals(message, assertThrows(type, e).getMessage());
  }

  @Test
  void options() {
    assertMessage(
        IllegalArgumentException.class,
        "numHeads must be at least 1, got 0",
        () -> AttentionOptions.of(0));
    assertMessage(
        IllegalArgumentException.class,
        "blockSize must be at least 1, got 0",
        () -> AttentionOptions.of(1).withBlockSize(0));
    assertMessage(
        IllegalArgumentException.class,
        "embed_dim E = 8 is not divisible by heads = 3",
        () -> new BlockedAttentionKernel(W, AttentionOptions.of(3)));
  }

  @Test
  void inputShapes() {
    AttentionWorkspace ws = KERNEL.newWorkspace();
    DenseMatrix q = RandomAttention.matrix(RND, 3, 8, false);
    DenseMatrix k = RandomAttention.matrix(RND, 5, 6, false);
    DenseMatrix v = RandomAttention.matrix(RND, 5, 4, false);
    assertMessage(
        IllegalArgumentException.class,
        "query is 3 x 6, expected L x 8",
        () -> KERNEL.forward(ws, RandomAttention.matrix(RND, 3, 6, false), k, v, null));
    assertMessage(
        IllegalArgumentException.class,
        "key is 5 x 4, expected S x 6",
        () -> KERNEL.forward(ws, q, v, v, null));
    assertMessage(
        IllegalArgumentException.class,
        "value is 3 x 8, expected 5 x 4",
        () -> KERNEL.forward(ws, q, k, q, null));
    assertMessage(
        IllegalArgumentException.class,
        "key_padding_mask has length 2, expected S = 5",
        () -> KERNEL.forward(ws, q, k, v, new boolean[2]));
  }

  @Test
  void mapsNeedAForwardPassAndAValidHead() {
    AttentionWorkspace ws = KERNEL.newWorkspace();
    assertMessage(
        IllegalStateException.class,
        "headMap() needs a completed forward() on this workspace",
        () -> KERNEL.headMap(ws, 0, (q0, qn, kn, block) -> {}));
    KERNEL.forward(
        ws,
        RandomAttention.matrix(RND, 3, 8, false),
        RandomAttention.matrix(RND, 5, 6, false),
        RandomAttention.matrix(RND, 5, 4, false),
        null);
    assertMessage(
        IllegalArgumentException.class,
        "head 2 is not in 0..1",
        () -> KERNEL.headMap(ws, 2, (q0, qn, kn, block) -> {}));
  }

  @Test
  void aWorkspaceIsThreadConfined() throws Exception {
    AttentionWorkspace ws = KERNEL.newWorkspace();
    Throwable[] thrown = new Throwable[1];
    Thread other =
        new Thread(
            () ->
                thrown[0] =
                    assertThrows(
                        IllegalStateException.class,
                        () ->
                            KERNEL.forward(
                                ws,
                                RandomAttention.matrix(RND, 3, 8, false),
                                RandomAttention.matrix(RND, 5, 6, false),
                                RandomAttention.matrix(RND, 5, 4, false),
                                null)),
            "other");
    other.start();
    other.join();
    assertEquals(true, thrown[0].getMessage().startsWith("AttentionWorkspace is thread-confined"));
  }
}
