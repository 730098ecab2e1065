using System.Diagnostics.CodeAnalysis;
using System.Text;
using PcapForge.Abstractions.Records;

namespace PcapForge.Output;

/// <summary>
/// One row of a table being filled, typed per <see cref="ColumnType"/>: numbers are kept unboxed, strings by reference
/// or as characters staged in the row, so writing a row allocates nothing. The object is reused row after row
/// (<see cref="Clear"/>); a <see cref="TableWriter"/> copies what it needs when the row is appended. Not thread-safe.
/// <para>
/// What a value may be set as, per column type (the boxed path, <see cref="TrySetValues"/>, accepts the same):
/// Boolean a bool; Int32 an int; Int64 and Timestamp (nanoseconds since the Unix epoch) a long or an int; Double a
/// double; String a string, characters or UTF-8 bytes; StringList a list of strings.
/// </para>
/// </summary>
public sealed class TableRow
{
    private const byte Null = 0, Value = 1, Staged = 2;

    private readonly ColumnType[] _types;
    private readonly byte[] _state;

    /// <summary>Int32, Int64, Timestamp and Boolean (0/1) values; Double values as their bits.</summary>
    private readonly long[] _numbers;

    private readonly string?[] _strings;
    private readonly IReadOnlyList<string?>?[] _lists;

    /// <summary>Where a String column's staged characters are in <see cref="_text"/>.</summary>
    private readonly int[] _textStart, _textLength;

    private char[] _text = new char[256];
    private int _textUsed;

    public TableRow(RecordTableDescriptor table)
    {
        ArgumentNullException.ThrowIfNull(table);
        Table = table;
        int n = table.Columns.Count;
        _types = table.Columns.Select(c => c.Type).ToArray();
        _state = new byte[n];
        _numbers = new long[n];
        _strings = new string?[n];
        _lists = new IReadOnlyList<string?>?[n];
        _textStart = new int[n];
        _textLength = new int[n];
    }

    public RecordTableDescriptor Table { get; }

    public int Count => _types.Length;

    /// <summary>Sets every column to null.</summary>
    public void Clear()
    {
        Array.Clear(_state);
        Array.Clear(_strings);
        Array.Clear(_lists);
        _textUsed = 0;
    }

    /// <summary>Sets a column to null.</summary>
    public void SetNull(int column)
    {
        _state[column] = Null;
        _strings[column] = null;
        _lists[column] = null;
    }

    public bool TrySet(int column, bool value) => TryNumber(column, ColumnType.Boolean, value ? 1 : 0);

    public bool TrySet(int column, int value) =>
        Fits(column, ColumnType.Int32) ? SetNumber(column, value) : TryNumber(column, ColumnType.Int64, value);

    public bool TrySet(int column, long value) => TryNumber(column, ColumnType.Int64, value);

    public bool TrySet(int column, double value) => TryNumber(column, ColumnType.Double, BitConverter.DoubleToInt64Bits(value));

    public bool TrySet(int column, string? value)
    {
        if (!Fits(column, ColumnType.String))
            return false;
        _strings[column] = value;
        _state[column] = value is null ? Null : Value;
        return true;
    }

    /// <summary>A String column's value as characters, copied into the row.</summary>
    public bool TrySetText(int column, ReadOnlySpan<char> value)
    {
        if (!Fits(column, ColumnType.String))
            return false;
        value.CopyTo(Stage(column, value.Length));
        return true;
    }

    /// <summary>A String column's value as UTF-8 bytes, decoded into the row (an invalid sequence becomes U+FFFD).</summary>
    public bool TrySetUtf8(int column, ReadOnlySpan<byte> value)
    {
        if (!Fits(column, ColumnType.String))
            return false;
        int length = Encoding.UTF8.GetChars(value, Stage(column, Encoding.UTF8.GetMaxCharCount(value.Length)));
        _textLength[column] = length;
        _textUsed = _textStart[column] + length;
        return true;
    }

    public bool TrySet(int column, IReadOnlyList<string?>? value)
    {
        if (!Fits(column, ColumnType.StringList))
            return false;
        _lists[column] = value;
        _state[column] = value is null ? Null : Value;
        return true;
    }

    /// <summary>Sets a column the host fills itself; a value of the wrong type is a bug, hence the exception.</summary>
    public TableRow Set(int column, long? value) => value is { } v ? Ensure(TrySet(column, v), column, typeof(long)) : Nulled(column);

    public TableRow Set(int column, int? value) => value is { } v ? Ensure(TrySet(column, v), column, typeof(int)) : Nulled(column);

    public TableRow Set(int column, double? value) => value is { } v ? Ensure(TrySet(column, v), column, typeof(double)) : Nulled(column);

    public TableRow Set(int column, bool? value) => value is { } v ? Ensure(TrySet(column, v), column, typeof(bool)) : Nulled(column);

    public TableRow Set(int column, string? value) => value is not null ? Ensure(TrySet(column, value), column, typeof(string)) : Nulled(column);

    /// <summary>A String column's value as characters, staged in the row (no string is made).</summary>
    public TableRow SetText(int column, ReadOnlySpan<char> value) => Ensure(TrySetText(column, value), column, typeof(string));

    public TableRow Set(int column, IReadOnlyList<string?>? value) =>
        value is not null ? Ensure(TrySet(column, value), column, value.GetType()) : Nulled(column);

    /// <summary>
    /// Fills the row from boxed values in column order (see the class summary for what each type takes). False, with
    /// the table, column and the expected and actual type, when a value does not fit; the row is then incomplete.
    /// </summary>
    public bool TrySetValues(object?[] values, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != _types.Length)
        {
            problem = $"table '{Table.Name}': expected {_types.Length} values (one per column), got {values.Length}";
            return false;
        }

        Clear();
        for (int i = 0; i < values.Length; i++)
        {
            bool ok = values[i] switch
            {
                null => true,
                bool b => TrySet(i, b),
                int n => TrySet(i, n),
                long n => TrySet(i, n),
                double d => TrySet(i, d),
                string s => TrySet(i, s),
                IReadOnlyList<string> list => TrySet(i, list),
                _ => false,
            };
            if (!ok)
            {
                var column = Table.Columns[i];
                problem = $"table '{Table.Name}', column '{column.Name}' ({column.Type}): expected {ParquetColumnTypes.ClrTypeName(column.Type)}, got {values[i]!.GetType().Name}";
                return false;
            }
        }

        problem = null;
        return true;
    }

    public bool IsNull(int column) => _state[column] == Null;

    public ColumnType TypeOf(int column) => _types[column];

    /// <summary>An Int32, Int64, Timestamp or Boolean (0/1) value; undefined when null.</summary>
    internal long Number(int column) => _numbers[column];

    internal double Double(int column) => BitConverter.Int64BitsToDouble(_numbers[column]);

    /// <summary>A String column's characters (empty when null).</summary>
    internal ReadOnlySpan<char> Text(int column) => _state[column] == Staged
        ? _text.AsSpan(_textStart[column], _textLength[column])
        : _strings[column].AsSpan();

    /// <summary>A String column's value when it was set as a string object (null when staged or null).</summary>
    internal string? StringObject(int column) => _strings[column];

    internal IReadOnlyList<string?>? List(int column) => _lists[column];

    /// <summary>A column's value boxed as <see cref="TableWriter"/> takes it (for tests and sinks that keep rows).</summary>
    public object? this[int column] => _state[column] == Null ? null : _types[column] switch
    {
        ColumnType.Boolean => _numbers[column] != 0,
        ColumnType.Int32 => (int)_numbers[column],
        ColumnType.Int64 or ColumnType.Timestamp => _numbers[column],
        ColumnType.Double => Double(column),
        ColumnType.String => _strings[column] ?? new string(Text(column)),
        _ => _lists[column],
    };

    /// <summary>The row's values boxed, in column order.</summary>
    public object?[] ToValues()
    {
        var values = new object?[_types.Length];
        for (int i = 0; i < values.Length; i++)
            values[i] = this[i];
        return values;
    }

    private bool Fits(int column, ColumnType type) => (uint)column < (uint)_types.Length && _types[column] == type;

    private bool TryNumber(int column, ColumnType type, long value)
    {
        if (!Fits(column, type) && !(type == ColumnType.Int64 && Fits(column, ColumnType.Timestamp)))
            return false;
        return SetNumber(column, value);
    }

    private bool SetNumber(int column, long value)
    {
        _numbers[column] = value;
        _state[column] = Value;
        return true;
    }

    private Span<char> Stage(int column, int length)
    {
        if (_textUsed + length > _text.Length)
            Array.Resize(ref _text, Math.Max(_text.Length * 2, _textUsed + length));
        _strings[column] = null;
        _state[column] = Staged;
        _textStart[column] = _textUsed;
        _textLength[column] = length;
        _textUsed += length;
        return _text.AsSpan(_textStart[column], length);
    }

    private TableRow Nulled(int column)
    {
        if ((uint)column >= (uint)_types.Length)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"table '{Table.Name}' has {_types.Length} columns");
        SetNull(column);
        return this;
    }

    private TableRow Ensure(bool ok, int column, Type given) => ok
        ? this
        : throw new ArgumentException((uint)column < (uint)_types.Length
            ? $"table '{Table.Name}', column '{Table.Columns[column].Name}' ({_types[column]}): expected {ParquetColumnTypes.ClrTypeName(_types[column])}, got {given.Name}"
            : $"table '{Table.Name}' has no column {column}");
}
