namespace PcapForge.Abstractions.Records;

/// <summary>Types of the columns of an output table (Parquet logical types in brackets). Every column is nullable.</summary>
public enum ColumnType
{
    /// <summary>BOOLEAN.</summary>
    Boolean,

    /// <summary>INT32 (ports, codes, small counts). Values: <see cref="int"/>.</summary>
    Int32,

    /// <summary>INT64 (counters, byte counts, frame numbers). Values: <see cref="long"/> or <see cref="int"/>.</summary>
    Int64,

    /// <summary>DOUBLE. Values: <see cref="double"/>.</summary>
    Double,

    /// <summary>UTF-8 text (STRING). Values: <see cref="string"/>.</summary>
    String,

    /// <summary>TIMESTAMP(NANOS, UTC). Values: <see cref="long"/> nanoseconds since the Unix epoch.</summary>
    Timestamp,

    /// <summary>LIST of STRING (Zeek's sets and vectors, e.g. smtp.rcptto). Values: <see cref="IReadOnlyList{T}"/> of string.</summary>
    StringList,
}

/// <summary>A column of an output table: snake_case name (Zeek's log field name where Zeek has the field), type, description.</summary>
public sealed record ColumnDescriptor(string Name, ColumnType Type, string Description);

/// <summary>
/// An output table: the host's (<c>flows</c>, <c>packets</c>, <c>anomalies</c>, <c>captures</c>) or one a plugin declares
/// (<c>http</c>, <c>ssh</c>…). The host adds <c>flow_uid</c> and <c>capture_id</c> to a plugin's columns.
/// </summary>
public sealed record RecordTableDescriptor(string Name, string Description, IReadOnlyList<ColumnDescriptor> Columns)
{
    /// <summary>The protocol that declared it (empty for the host's tables).</summary>
    public string Protocol { get; init; } = "";

    /// <summary>Index of the column with that name, or -1.</summary>
    public int IndexOf(string column)
    {
        for (int i = 0; i < Columns.Count; i++)
        {
            if (Columns[i].Name == column)
                return i;
        }

        return -1;
    }
}

/// <summary>Handle of a record table a plugin declared.</summary>
public readonly record struct RecordTableHandle(int Id);

/// <summary>
/// Where a dissector writes its records (one row per transaction, session or query). Values are in the order of the
/// columns the dissector declared, boxed: records are rare compared with frames. The host adds <c>flow_uid</c> and
/// <c>capture_id</c>, and reports a value of the wrong type as the anomaly <c>engine.record_invalid</c>.
/// </summary>
public interface IRecordSink
{
    void Write(RecordTableHandle table, object?[] values);
}
