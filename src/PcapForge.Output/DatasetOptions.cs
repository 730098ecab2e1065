namespace PcapForge.Output;

/// <summary>
/// Where and how a dataset is written. <paramref name="OutPath"/> ending in <c>.parquet</c> is a file (the
/// <c>flows</c> table; the other tables beside it as <c>X.&lt;table&gt;.parquet</c>); anything else, or an existing
/// directory, is a directory with one <c>&lt;table&gt;.parquet</c> each, or with <paramref name="PartitionByDate"/> a
/// Hive tree <c>&lt;table&gt;/date=YYYY-MM-DD/part-00000.parquet</c>. See <see cref="DatasetLayout"/>.
/// </summary>
/// <param name="OutPath">The output file or directory.</param>
/// <param name="Force">Replace files of an earlier run; without it, any existing output is an error.</param>
/// <param name="PartitionByDate">Hive partitions by the UTC date of each row's <c>ts</c> column (needs a directory).</param>
/// <param name="RowGroupRows">Rows buffered per table (per partition) before they are written as one row group.</param>
public sealed record DatasetOptions(string OutPath, bool Force = false, bool PartitionByDate = false, int RowGroupRows = DatasetOptions.DefaultRowGroupRows)
{
    /// <summary>
    /// 122,880 rows, DuckDB's own row-group size (its <c>COPY … (FORMAT parquet)</c> default). DuckDB parallelises a
    /// scan by row group, so groups of this size keep both cores busy from 245,760 rows on, while a group is still
    /// large enough for zstd and dictionaries to work well and for min/max statistics to skip whole groups. Memory is
    /// bounded by this many rows per table (and per open date partition) in typed column buffers.
    /// </summary>
    public const int DefaultRowGroupRows = 122_880;
}
