namespace PcapForge.Output;

/// <summary>How <see cref="DatasetOptions.OutPath"/> is laid out on disk.</summary>
public enum DatasetLayoutKind
{
    /// <summary><c>X.parquet</c> holds <c>flows</c>; every other table is <c>X.&lt;table&gt;.parquet</c> beside it.</summary>
    File,

    /// <summary><c>DIR/&lt;table&gt;.parquet</c>.</summary>
    Directory,

    /// <summary>
    /// <c>DIR/&lt;table&gt;/date=YYYY-MM-DD/part-00000.parquet</c> (Hive), by the UTC date of the row's <c>ts</c>; rows
    /// without <c>ts</c> under <c>date=__HIVE_DEFAULT_PARTITION__</c> (read back as NULL); a table without a <c>ts</c>
    /// column (<c>captures</c>), or with no rows, as <c>DIR/&lt;table&gt;/part-00000.parquet</c>.
    /// </summary>
    PartitionedByDate,
}

/// <summary>The file names of a dataset, shared by the writer and by the query's discovery of tables.</summary>
public static class DatasetLayout
{
    /// <summary>The table that a <c>X.parquet</c> output file holds; the others are its siblings.</summary>
    public const string PrimaryTable = "flows";

    public const string Extension = ".parquet";

    /// <summary>The column a table is partitioned by.</summary>
    public const string TimestampColumn = "ts";

    /// <summary>The Hive partition key.</summary>
    public const string PartitionKey = "date";

    /// <summary>Hive's name for the partition of NULL keys; DuckDB reads it back as NULL.</summary>
    public const string NullPartitionValue = "__HIVE_DEFAULT_PARTITION__";

    /// <summary>Key of the footer's key-value metadata that names the table a file of a dataset holds.</summary>
    public const string TableMetadataKey = "pcapforge.table";

    /// <summary>The one file of a partition (the numbering leaves room for splitting large partitions).</summary>
    public const string PartFileName = "part-00000.parquet";

    /// <summary>
    /// Whether a name can be a table's: lower-case letters, digits and '_' (the snake_case of table names), so that it
    /// is a safe file name and <c>X.&lt;table&gt;.parquet</c> can be told apart from other files.
    /// </summary>
    public static bool IsTableName(string name) =>
        name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');

    /// <summary>The layout an output path asks for; <paramref name="partitionByDate"/> is checked by the writer.</summary>
    public static DatasetLayoutKind KindOf(string outPath, bool partitionByDate)
    {
        // "out/" and "out" are directories, "out.parquet" a file (unless a directory of that name exists).
        bool isDirectory = Directory.Exists(outPath) || !outPath.EndsWith(Extension, StringComparison.OrdinalIgnoreCase);
        if (!isDirectory)
            return DatasetLayoutKind.File;
        return partitionByDate ? DatasetLayoutKind.PartitionedByDate : DatasetLayoutKind.Directory;
    }

    /// <summary>The file of <paramref name="table"/> in the <see cref="DatasetLayoutKind.File"/> layout.</summary>
    public static string FilePath(string primaryPath, string table) =>
        table == PrimaryTable ? primaryPath : $"{primaryPath[..^Extension.Length]}.{table}{Extension}";

    /// <summary>
    /// The table a file named <paramref name="fileName"/> holds as a sibling of the primary file <c>STEM.parquet</c>
    /// (<c>STEM.&lt;table&gt;.parquet</c>, the inverse of <see cref="FilePath"/>); null when the name is not of that form.
    /// </summary>
    public static string? SiblingTable(string stem, string fileName)
    {
        if (fileName.Length <= stem.Length + 1 + Extension.Length || !fileName.StartsWith(stem, StringComparison.Ordinal)
            || fileName[stem.Length] != '.' || !fileName.EndsWith(Extension, StringComparison.Ordinal))
            return null;
        string table = fileName[(stem.Length + 1)..^Extension.Length];
        return IsTableName(table) ? table : null;
    }

    /// <summary>The file of <paramref name="table"/> in the <see cref="DatasetLayoutKind.Directory"/> layout.</summary>
    public static string DirectoryPath(string directory, string table) => Path.Combine(directory, table + Extension);

    /// <summary>The folder of a table's partitions in the <see cref="DatasetLayoutKind.PartitionedByDate"/> layout.</summary>
    public static string TableFolder(string directory, string table) => Path.Combine(directory, table);

    /// <summary>The file of one date partition (null: rows without a timestamp).</summary>
    public static string PartitionPath(string directory, string table, DateOnly? date) =>
        Path.Combine(directory, table, $"{PartitionKey}={date?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? NullPartitionValue}", PartFileName);

    /// <summary>The file of a table that is not split by date (no <c>ts</c> column, or no rows).</summary>
    public static string UnpartitionedPath(string directory, string table) => Path.Combine(directory, table, PartFileName);

    /// <summary>
    /// Where a file is written until it is complete: a hidden name in the same directory (so the final rename is
    /// atomic), with the process id so two runs never share one.
    /// </summary>
    public static string TemporaryPath(string finalPath) =>
        Path.Combine(Path.GetDirectoryName(finalPath) ?? ".", $".{Path.GetFileName(finalPath)}.tmp-{Environment.ProcessId}");
}
