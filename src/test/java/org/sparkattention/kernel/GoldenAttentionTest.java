package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkattention.kernel.Tolerances.assertClose;

import java.util.stream.Stream;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The kernel against the real torch.nn.MultiheadAttention (fixtures from make_golden.py). */
class GoldenAttentionTest {

  static Stream<Arguments> casesAndBlocks() {
    return GoldenCase.all().stream()
        .flatMap(c -> Stream.of(1, 3, 4, 16, 128).map(b -> Arguments.of(c, b)));
  }

  @ParameterizedTest(name = "{0} block {1}")
  @MethodSource("casesAndBlocks")
  void matchesPyTorch(GoldenCase c, int blockSize) {
    BlockedAttentionKernel kernel = new BlockedAttentionKernel(c.weights(), c.options(blockSize));
    AttentionWorkspace ws = kernel.newWorkspace();
    DenseMatrix out =
        kernel.forward(
            ws, c.matrix("query"), c.matrix("key"), c.matrix("value"), c.keyPaddingMask());

    assertClose(out.values(), c.values("output"), c.name() + " output");
    assertEquals(c.fullyMasked(), ws.fullyMaskedQueries(), "fully masked queries");

    int queryLen = out.numRows();
    int width = c.meta().get("map_width").asInt();
    MapCollector maps = MapCollector.collect(kernel, ws, queryLen, width);
    assertClose(maps.heads, c.values("maps_heads"), c.name() + " head maps");
    assertClose(maps.mean, c.values("maps_mean"), c.name() + " mean map");
  }
}
