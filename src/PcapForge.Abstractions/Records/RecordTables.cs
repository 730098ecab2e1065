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

/// <summary>Handle of a record table a plugin declared, with the number of columns it declared.</summary>
public readonly record struct RecordTableHandle(int Id)
{
    /// <summary>The number of columns the dissector declared (the host's <c>flow_uid</c> and <c>capture_id</c> not counted).</summary>
    public int Columns { get; init; }
}

/// <summary>
/// Where a dissector writes its records (one row per transaction, session or query), in either of two ways:
/// <list type="bullet">
/// <item><see cref="BeginRow"/>: the values set column by column on a reused <see cref="RecordRow"/>, unboxed, then
/// committed. For records written often (an HTTP transaction, a DNS query): nothing is allocated per row.</item>
/// <item><see cref="Write"/>: the values in the order of the columns the dissector declared, boxed. Simpler, for rare
/// records (an SSH session).</item>
/// </list>
/// The host adds <c>flow_uid</c> and <c>capture_id</c>, and reports a value of the wrong type as the anomaly
/// <c>engine.record_invalid</c> (the row is then not written).
/// </summary>
public interface IRecordSink
{
    void Write(RecordTableHandle table, object?[] values);

    /// <summary>
    /// Starts a row of <paramref name="table"/>: every column null until set. The row is the sink's and is reused:
    /// set its columns and <see cref="RecordRow.Commit"/> it before beginning another, and never keep it.
    /// </summary>
    RecordRow BeginRow(RecordTableHandle table) => new BoxedRecordRow(this, table);
}

/// <summary>
/// A record being written column by column, without boxing (<see cref="IRecordSink.BeginRow"/>). Columns are numbered
/// in the order the dissector declared them, from 0; a column not set stays null. A value of a type the column does
/// not take (see <see cref="ColumnType"/>: an Int64 or Timestamp column takes an int or a long, a String column a
/// string, characters or UTF-8 bytes) makes the row invalid: <see cref="Commit"/> then writes nothing and the host
/// reports <c>engine.record_invalid</c>.
/// </summary>
public abstract class RecordRow
{
    public abstract RecordRow Set(int column, bool? value);

    public abstract RecordRow Set(int column, int? value);

    public abstract RecordRow Set(int column, long? value);

    public abstract RecordRow Set(int column, double? value);

    public abstract RecordRow Set(int column, string? value);

    public abstract RecordRow Set(int column, IReadOnlyList<string>? value);

    /// <summary>A String column's value as characters (copied).</summary>
    public abstract RecordRow SetText(int column, ReadOnlySpan<char> value);

    /// <summary>A String column's value as UTF-8 bytes (decoded, an invalid sequence as U+FFFD; copied).</summary>
    public abstract RecordRow SetUtf8(int column, ReadOnlySpan<byte> value);

    /// <summary>Writes the row.</summary>
    public abstract void Commit();
}

/// <summary>
/// A <see cref="RecordRow"/> that collects boxed values and hands them to <see cref="IRecordSink.Write"/>: what a sink
/// without a typed path of its own (a test harness) gives. One object per row.
/// </summary>
public sealed class BoxedRecordRow(IRecordSink sink, RecordTableHandle table) : RecordRow
{
    private readonly object?[] _values = new object?[table.Columns];
    private string? _problem;

    public override RecordRow Set(int column, bool? value) => Put(column, value);

    public override RecordRow Set(int column, int? value) => Put(column, value);

    public override RecordRow Set(int column, long? value) => Put(column, value);

    public override RecordRow Set(int column, double? value) => Put(column, value);

    public override RecordRow Set(int column, string? value) => Put(column, value);

    public override RecordRow Set(int column, IReadOnlyList<string>? value) => Put(column, value);

    public override RecordRow SetText(int column, ReadOnlySpan<char> value) => Put(column, new string(value));

    public override RecordRow SetUtf8(int column, ReadOnlySpan<byte> value) => Put(column, System.Text.Encoding.UTF8.GetString(value));

    public override void Commit()
    {
        if (_problem is not null)
            throw new ArgumentException(_problem);
        sink.Write(table, _values);
    }

    private BoxedRecordRow Put(int column, object? value)
    {
        if ((uint)column < (uint)_values.Length)
            _values[column] = value;
        else
            _problem ??= $"record table {table.Id} has {_values.Length} columns; column {column} was set";
        return this;
    }
}
