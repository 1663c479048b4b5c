package org.sparkattention.io.parquet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * The sizes of a file split's row groups from the file's footer alone: rows, and the values of
 * named columns (for a matrix column, its one leaf's values: L x E a row). A split reads the row
 * groups whose midpoints it holds, as Spark's Parquet reader does (parquet-java's range filter).
 */
public final class RowGroupSizes {
  private RowGroupSizes() {}

  /**
   * Per row group of {@code [start, start + length)}: its rows, then the values of each of {@code
   * columns} (top-level names, matched as Spark matches them, case-insensitively; 0 for a column
   * the file lacks).
   */
  public static List<long[]> read(
      Configuration conf, String path, long start, long length, String... columns)
      throws IOException {
    ParquetReadOptions options =
        ParquetReadOptions.builder().withRange(start, start + length).build();
    List<long[]> groups = new ArrayList<>();
    try (ParquetFileReader reader =
        ParquetFileReader.open(HadoopInputFile.fromPath(new Path(path), conf), options)) {
      for (BlockMetaData block : reader.getFooter().getBlocks()) {
        long[] sizes = new long[1 + columns.length];
        sizes[0] = block.getRowCount();
        for (ColumnChunkMetaData c : block.getColumns()) {
          String[] columnPath = c.getPath().toArray();
          for (int i = 0; i < columns.length; i++) {
            if (columnPath.length > 0 && columnPath[0].equalsIgnoreCase(columns[i])) {
              sizes[1 + i] = Math.max(sizes[1 + i], c.getValueCount());
            }
          }
        }
        groups.add(sizes);
      }
    }
    return groups;
  }
}
