package org.sparkattention.io.parquet;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetOutputFormat;

/** The Parquet writer settings of a Hadoop configuration, read as Spark's own writer reads them. */
public final class WriterSettings {
  private WriterSettings() {}

  /** The settings Spark's writer reads (ParquetOutputFormat.getRecordWriter), whole-file ones. */
  public static ParquetProperties properties(Configuration conf) {
    ParquetProperties.Builder builder =
        ParquetProperties.builder()
            .withPageSize(ParquetOutputFormat.getPageSize(conf))
            .withDictionaryPageSize(ParquetOutputFormat.getDictionaryPageSize(conf))
            .withDictionaryEncoding(ParquetOutputFormat.getEnableDictionary(conf))
            .withWriterVersion(ParquetOutputFormat.getWriterVersion(conf))
            .estimateRowCountForPageSizeCheck(ParquetOutputFormat.getEstimatePageSizeCheck(conf))
            .withMinRowCountForPageSizeCheck(
                ParquetOutputFormat.getMinRowCountForPageSizeCheck(conf))
            .withMaxRowCountForPageSizeCheck(
                ParquetOutputFormat.getMaxRowCountForPageSizeCheck(conf))
            .withPageValueCountThreshold(ParquetOutputFormat.getValueCountThreshold(conf))
            .withColumnIndexTruncateLength(
                conf.getInt(
                    ParquetOutputFormat.COLUMN_INDEX_TRUNCATE_LENGTH,
                    ParquetProperties.DEFAULT_COLUMN_INDEX_TRUNCATE_LENGTH))
            .withStatisticsTruncateLength(
                conf.getInt(
                    ParquetOutputFormat.STATISTICS_TRUNCATE_LENGTH,
                    ParquetProperties.DEFAULT_STATISTICS_TRUNCATE_LENGTH))
            .withMaxBloomFilterBytes(ParquetOutputFormat.getBloomFilterMaxBytes(conf))
            .withBloomFilterEnabled(ParquetOutputFormat.getBloomFilterEnabled(conf))
            .withAdaptiveBloomFilterEnabled(ParquetOutputFormat.getAdaptiveBloomFilterEnabled(conf))
            .withPageRowCountLimit(
                conf.getInt(
                    ParquetOutputFormat.PAGE_ROW_COUNT_LIMIT,
                    ParquetProperties.DEFAULT_PAGE_ROW_COUNT_LIMIT))
            .withPageWriteChecksumEnabled(ParquetOutputFormat.getPageWriteChecksumEnabled(conf))
            .withStatisticsEnabled(ParquetOutputFormat.getStatisticsEnabled(conf));
    return ParquetCompat.withRowGroupRowCountLimit(
            builder, ParquetCompat.rowGroupRowCountLimit(conf))
        .build();
  }
}
