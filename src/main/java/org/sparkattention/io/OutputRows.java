package org.sparkattention.io;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.sparkattention.config.MapsSetting;
import org.sparkattention.kernel.QueryStatistics;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The output, attention-map and bad-row schemas (README, "Output datasets") and their rows, built
 * as Spark internal rows from primitive arrays: carried columns first, in input order, then {@code
 * output}; or {@code head} and {@code weights}; or {@code reason}.
 */
public final class OutputRows implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String OUTPUT = "output";
  public static final String HEAD = "head";
  public static final String WEIGHTS = "weights";
  public static final String REASON = "reason";

  // maps=summary: arrays of one value per query.
  public static final String ENTROPY = "entropy";
  public static final String MAX_WEIGHT = "max_weight";
  public static final String ARGMAX_KEY = "argmax_key";
  public static final String FIRST_KEY_WEIGHT = "first_key_weight";
  public static final String MEAN_DISTANCE = "mean_distance";
  public static final String LSE = "lse";

  // maps=topk: one row per query and rank.
  public static final String QUERY = "query";
  public static final String RANK = "rank";
  public static final String KEY = "key";
  public static final String WEIGHT = "weight";

  /**
   * The maps=topk columns that {@link #computedSchema} holds as arrays, one element per key of a
   * (sequence, head): one computed row per head, not per key, goes through Spark's row machinery.
   * The map dataset has them as single values, one row per element.
   */
  public static final List<String> PER_KEY = List.of(QUERY, RANK, KEY, WEIGHT);

  private static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);

  /** {@code array<array<float>>}: one row of values per token. */
  public static final DataType FLOAT_MATRIX =
      DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private final InputLayout layout;
  private final MapsSetting maps;

  /** Readers of the carried columns, made on first use (where the rows are made). */
  private transient SparkRows carriedColumns;

  private final int mapColumnCount;

  /** {@code maps}: which map rows the run writes (their columns). */
  public OutputRows(InputLayout layout, MapsSetting maps) {
    this.layout = layout;
    this.maps = maps;
    this.mapColumnCount = mapFields(maps).size();
  }

  public StructType outputSchema() {
    return withCarried(DataTypes.createStructField(OUTPUT, FLOAT_MATRIX, false));
  }

  public StructType mapSchema() {
    return withCarried(mapFields(maps).toArray(new StructField[0]));
  }

  /** The columns a map row adds to the carried ones, as its dataset has them. */
  static List<StructField> mapFields(MapsSetting maps) {
    return switch (maps) {
      case NONE -> List.of();
      case HEADS, MEAN ->
          List.of(
              DataTypes.createStructField(HEAD, DataTypes.IntegerType, true),
              DataTypes.createStructField(WEIGHTS, FLOAT_MATRIX, false));
      case SUMMARY ->
          List.of(
              DataTypes.createStructField(HEAD, DataTypes.IntegerType, true),
              DataTypes.createStructField(ENTROPY, FLOATS, false),
              DataTypes.createStructField(MAX_WEIGHT, FLOATS, false),
              DataTypes.createStructField(
                  ARGMAX_KEY, DataTypes.createArrayType(DataTypes.IntegerType, true), false),
              DataTypes.createStructField(FIRST_KEY_WEIGHT, FLOATS, false),
              DataTypes.createStructField(MEAN_DISTANCE, FLOATS, false),
              DataTypes.createStructField(
                  LSE, DataTypes.createArrayType(DataTypes.FloatType, true), false));
      case TOPK ->
          List.of(
              DataTypes.createStructField(HEAD, DataTypes.IntegerType, true),
              DataTypes.createStructField(QUERY, DataTypes.IntegerType, false),
              DataTypes.createStructField(RANK, DataTypes.IntegerType, false),
              DataTypes.createStructField(KEY, DataTypes.IntegerType, false),
              DataTypes.createStructField(WEIGHT, DataTypes.FloatType, false));
    };
  }

  /** The names of the columns the map rows add (none without maps). */
  public List<String> mapColumns() {
    return mapFields(maps).stream().map(StructField::name).toList();
  }

  /**
   * The rows of the compute stage when they are more than outputs ({@code
   * io.spark.MatrixParquetFormat.OUTPUT_AND_MAPS}): the carried columns, {@code output}, with maps
   * {@code head} and {@code weights}, with bad rows {@code reason}; in each row only its own kind's
   * columns are set.
   */
  public StructType computedSchema(boolean maps, boolean badRows) {
    List<StructField> added = new ArrayList<>();
    added.add(DataTypes.createStructField(OUTPUT, FLOAT_MATRIX, true));
    if (maps) {
      for (StructField f : mapFields(this.maps)) {
        DataType type =
            PER_KEY.contains(f.name())
                ? DataTypes.createArrayType(f.dataType(), false)
                : f.dataType();
        added.add(DataTypes.createStructField(f.name(), type, true));
      }
    }
    if (badRows) {
      added.add(DataTypes.createStructField(REASON, DataTypes.StringType, true));
    }
    return withCarried(added.toArray(new StructField[0]));
  }

  /**
   * The output rows' part of a {@link #computedSchema} (less any partition columns, as a writer
   * sees it), whose map rows add {@code mapColumns}: what {@link #outputSchema} is.
   */
  public static StructType outputPart(StructType computed, List<String> mapColumns) {
    return part(computed, List.of(OUTPUT), mapColumns, List.of(REASON));
  }

  /** The map rows' part of a {@link #computedSchema}: what {@link #mapSchema} is. */
  public static StructType mapPart(StructType computed, List<String> mapColumns) {
    return part(computed, mapColumns, List.of(OUTPUT), List.of(REASON));
  }

  /** The bad rows' part of a {@link #computedSchema}: what {@link #badRowSchema} is. */
  public static StructType badRowPart(StructType computed, List<String> mapColumns) {
    return part(computed, List.of(REASON), List.of(OUTPUT), mapColumns);
  }

  /**
   * The carried fields and {@code kept} without {@code dropped}; a kept field takes its dataset's
   * type and nullability (the computed rows have every added column nullable).
   */
  private static StructType part(
      StructType computed, List<String> kept, List<String> dropped, List<String> alsoDropped) {
    Map<String, StructField> own = new HashMap<>();
    for (MapsSetting m : MapsSetting.values()) {
      for (StructField f : mapFields(m)) {
        own.putIfAbsent(f.name(), f);
      }
    }
    own.put(OUTPUT, DataTypes.createStructField(OUTPUT, FLOAT_MATRIX, false));
    own.put(REASON, DataTypes.createStructField(REASON, DataTypes.StringType, false));
    List<StructField> fields = new ArrayList<>();
    for (StructField f : computed.fields()) {
      if (kept.contains(f.name())) {
        StructField typed = own.get(f.name());
        fields.add(DataTypes.createStructField(f.name(), typed.dataType(), typed.nullable()));
      } else if (!dropped.contains(f.name()) && !alsoDropped.contains(f.name())) {
        fields.add(f);
      }
    }
    return DataTypes.createStructType(fields);
  }

  public StructType badRowSchema() {
    return withCarried(DataTypes.createStructField(REASON, DataTypes.StringType, false));
  }

  private StructType withCarried(StructField... added) {
    List<StructField> fields = new ArrayList<>(Arrays.asList(layout.carriedFields()));
    fields.addAll(Arrays.asList(added));
    return DataTypes.createStructType(fields);
  }

  /** An output row: the carried columns of {@code in}, then {@code output} (L x E row-major). */
  public InternalRow output(InternalRow in, double[] rowMajor, int rows, int cols) {
    return row(carried(in), floatMatrix(rowMajor, rows, cols));
  }

  /** An output row of {@link #computedSchema}: the other kinds' columns null. */
  public InternalRow computedOutput(
      InternalRow in, double[] rowMajor, int rows, int cols, boolean maps, boolean badRows) {
    return computed(carried(in), floatMatrix(rowMajor, rows, cols), null, null, maps, badRows);
  }

  /**
   * A map row of {@link #computedSchema} (maps=heads or mean): {@code output} null, {@code head}
   * (null for the mean), {@code weights}.
   */
  public InternalRow map(
      Object[] carried, Integer head, float[] rowMajor, int rows, int cols, boolean badRows) {
    return computed(
        carried, null, new Object[] {head, floatMatrix(rowMajor, rows, cols)}, null, true, badRows);
  }

  /**
   * A maps=summary row of {@link #computedSchema}: head {@code h}'s statistics, one value per
   * query; a query that sees no key has a null argmax and lse.
   */
  public InternalRow summary(
      Object[] carried, int h, QueryStatistics stats, int queries, boolean badRows) {
    float[] entropy = new float[queries];
    float[] maxWeight = new float[queries];
    Object[] argmax = new Object[queries];
    float[] firstKey = new float[queries];
    float[] distance = new float[queries];
    Object[] lse = new Object[queries];
    for (int q = 0; q < queries; q++) {
      entropy[q] = (float) stats.entropy(h, q);
      maxWeight[q] = (float) stats.maxWeight(h, q);
      firstKey[q] = (float) stats.firstKeyWeight(h, q);
      distance[q] = (float) stats.meanDistance(h, q);
      if (stats.seesKeys(h, q)) {
        argmax[q] = stats.argmaxKey(h, q);
        lse[q] = (float) stats.lse(h, q);
      }
    }
    Object[] values = {
      h,
      UnsafeArrayData.fromPrimitiveArray(entropy),
      UnsafeArrayData.fromPrimitiveArray(maxWeight),
      new GenericArrayData(argmax),
      UnsafeArrayData.fromPrimitiveArray(firstKey),
      UnsafeArrayData.fromPrimitiveArray(distance),
      new GenericArrayData(lse)
    };
    return computed(carried, null, values, null, true, badRows);
  }

  /**
   * A maps=topk row of {@link #computedSchema}: the first {@code n} kept keys of head {@code h}, by
   * query and rank; the map dataset has one row per key (the writer expands it, see {@link
   * #PER_KEY}).
   */
  public InternalRow topKeys(
      Object[] carried,
      int h,
      int[] query,
      int[] rank,
      int[] key,
      float[] weight,
      int n,
      boolean badRows) {
    Object[] values = {h, ints(query, n), ints(rank, n), ints(key, n), floats(weight, n)};
    return computed(carried, null, values, null, true, badRows);
  }

  private static UnsafeArrayData ints(int[] values, int n) {
    return UnsafeArrayData.fromPrimitiveArray(values, Platform.INT_ARRAY_OFFSET, n, 4);
  }

  private static UnsafeArrayData floats(float[] values, int n) {
    return UnsafeArrayData.fromPrimitiveArray(values, Platform.FLOAT_ARRAY_OFFSET, n, 4);
  }

  /**
   * A bad row of {@link #computedSchema}: only the carried columns (as {@link #badRow} writes them)
   * and {@code reason}.
   */
  public InternalRow computedBadRow(InternalRow in, String reason, boolean maps) {
    return computed(badCarried(in), null, null, UTF8String.fromString(reason), maps, true);
  }

  /** The carried columns, {@code output}, the map columns (all null when null), the reason. */
  private InternalRow computed(
      Object[] carried,
      Object output,
      Object[] mapValues,
      Object reason,
      boolean maps,
      boolean badRows) {
    int mapColumns = maps ? mapColumnCount : 0;
    Object[] added = new Object[1 + mapColumns + (badRows ? 1 : 0)];
    added[0] = output;
    if (mapValues != null) {
      System.arraycopy(mapValues, 0, added, 1, mapColumns);
    }
    if (badRows) {
      added[added.length - 1] = reason;
    }
    return row(carried, added);
  }

  /**
   * A bad row: the carried columns and the reason. A partition value that cannot be a directory
   * name is written as null (its reason says so), else the bad rows could not be written.
   */
  public InternalRow badRow(InternalRow in, String reason) {
    return row(badCarried(in), UTF8String.fromString(reason));
  }

  /** The carried values of a bad row: a partition value too long for a directory name is null. */
  private Object[] badCarried(InternalRow in) {
    Object[] values = carried(in);
    int[] carried = layout.carriedOrdinals;
    for (int ord : layout.stringPartitionOrdinals) {
      if (!in.isNullAt(ord)
          && SequenceCodec.directoryNameBytes(
                  layout.schema.fields()[ord].name(), in.getUTF8String(ord))
              > SequenceCodec.MAX_NAME_BYTES) {
        for (int i = 0; i < carried.length; i++) {
          if (carried[i] == ord) {
            values[i] = null;
          }
        }
      }
    }
    return values;
  }

  /**
   * The carried column values of an input row, in order: what every row made from it starts with.
   */
  public Object[] carried(InternalRow in) {
    if (carriedColumns == null) {
      carriedColumns = new SparkRows(layout.schema, layout.carriedOrdinals);
    }
    return carriedColumns.values(in);
  }

  private static InternalRow row(Object[] carried, Object... added) {
    Object[] values = Arrays.copyOf(carried, carried.length + added.length);
    System.arraycopy(added, 0, values, carried.length, added.length);
    return new GenericInternalRow(values);
  }

  /**
   * A read-back {@code array<array<float>>} column ({@link #FLOAT_MATRIX}: outputs, map weights) as
   * float[rows][cols].
   */
  public static float[][] readFloatMatrix(Row row, String column) {
    List<scala.collection.Seq<Object>> outer = row.getList(row.fieldIndex(column));
    float[][] out = new float[outer.size()][];
    for (int i = 0; i < out.length; i++) {
      List<Object> inner = CollectionConverters.asJava(outer.get(i));
      out[i] = new float[inner.size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = ((Number) inner.get(j)).floatValue();
      }
    }
    return out;
  }

  static GenericArrayData floatMatrix(double[] rowMajor, int rows, int cols) {
    Object[] out = new Object[rows];
    float[] row = new float[cols];
    for (int i = 0; i < rows; i++) {
      int base = i * cols;
      for (int j = 0; j < cols; j++) {
        row[j] = (float) rowMajor[base + j];
      }
      out[i] = UnsafeArrayData.fromPrimitiveArray(row);
    }
    return new GenericArrayData(out);
  }

  static GenericArrayData floatMatrix(float[] rowMajor, int rows, int cols) {
    Object[] out = new Object[rows];
    for (int i = 0; i < rows; i++) {
      out[i] =
          UnsafeArrayData.fromPrimitiveArray(
              rowMajor, Math.toIntExact(Platform.FLOAT_ARRAY_OFFSET + 4L * i * cols), cols, 4);
    }
    return new GenericArrayData(out);
  }
}
