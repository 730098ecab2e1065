using Parquet;
using Parquet.Schema;
using PcapForge.Abstractions.Records;

namespace PcapForge.Output;

/// <summary>
/// The rows of one column until they are written as part of a row group, in the typed form Parquet.Net takes
/// (no boxed values are kept). Values come from a <see cref="TableRow"/>, whose setters check their types.
/// </summary>
internal abstract class ColumnBuffer
{
    /// <summary>Buffers start this small and double up to the row-group size, so tiny tables stay tiny.</summary>
    protected const int InitialCapacity = 1024;

    /// <summary>The field of the Parquet schema this column is written as.</summary>
    public abstract Field Field { get; }

    /// <summary>Buffers the value of column <paramref name="column"/> of <paramref name="row"/>.</summary>
    public abstract void Add(TableRow row, int column);

    /// <summary>Writes the buffered values as this column's chunk of the row group.</summary>
    public abstract Task WriteAsync(ParquetRowGroupWriter rowGroup);

    /// <summary>Forgets the buffered values (the arrays are kept for the next row group).</summary>
    public abstract void Clear();

    /// <summary>An empty buffer of the same column, with the same schema field (Parquet.Net writes only the fields of its schema).</summary>
    public abstract ColumnBuffer Twin();

    public static ColumnBuffer For(ColumnDescriptor column, int rowGroupRows) => column.Type switch
    {
        ColumnType.Boolean => new ValueBuffer<bool>(column.Name, rowGroupRows),
        ColumnType.Int32 => new ValueBuffer<int>(column.Name, rowGroupRows),
        ColumnType.Int64 or ColumnType.Timestamp => new ValueBuffer<long>(column.Name, rowGroupRows),
        ColumnType.Double => new ValueBuffer<double>(column.Name, rowGroupRows),
        ColumnType.String => new StringBuffer(column.Name, rowGroupRows),
        ColumnType.StringList => new StringListBuffer(column.Name, rowGroupRows),
        _ => throw new ArgumentOutOfRangeException(nameof(column), column.Type, $"column '{column.Name}'"),
    };

    protected static void Grow<T>(ref T[] array, int needed, int limit)
    {
        if (needed <= array.Length)
            return;
        // Doubling, but never past the row-group size for per-row arrays (list elements may outgrow it).
        int size = Math.Max(Math.Max(array.Length * 2, InitialCapacity), needed);
        if (needed <= limit)
            size = Math.Min(size, limit);
        Array.Resize(ref array, size);
    }
}

/// <summary>An optional BOOLEAN, INT32, INT64 or DOUBLE column.</summary>
internal sealed class ValueBuffer<T> : ColumnBuffer
    where T : struct
{
    private readonly DataField _field;
    private readonly int _rowGroupRows;
    private T?[] _values = [];
    private int _count;

    public ValueBuffer(string name, int rowGroupRows)
        : this(new DataField(name, typeof(T), isNullable: true), rowGroupRows)
    {
    }

    private ValueBuffer(DataField field, int rowGroupRows)
    {
        _field = field;
        _rowGroupRows = rowGroupRows;
    }

    public override ColumnBuffer Twin() => new ValueBuffer<T>(_field, _rowGroupRows);

    public override Field Field => _field;

    public override void Add(TableRow row, int column)
    {
        Grow(ref _values, _count + 1, _rowGroupRows);
        _values[_count++] = row.IsNull(column) ? null : Read(row, column);
    }

    // One of these is kept per instantiation: T is a value type, so the JIT compiles ValueBuffer<T> once per T and
    // drops the other branches (and the boxing casts) as constants.
    private static T Read(TableRow row, int column)
    {
        if (typeof(T) == typeof(long))
            return (T)(object)row.Number(column);
        if (typeof(T) == typeof(int))
            return (T)(object)(int)row.Number(column);
        if (typeof(T) == typeof(double))
            return (T)(object)row.Double(column);
        return (T)(object)(row.Number(column) != 0);
    }

    public override Task WriteAsync(ParquetRowGroupWriter rowGroup) =>
        rowGroup.WriteAsync<T>(_field, new ReadOnlyMemory<T?>(_values, 0, _count));

    public override void Clear() => _count = 0;
}

/// <summary>
/// The characters of a column's buffered strings, copied into large chunks. A buffered row group holds its strings for
/// seconds while the flows go on; as string objects they would survive every collection of the young generations in
/// between and be copied along (measured: 20 collections, all of generation 1, pausing the analysis 340 ms on the 1 GB
/// benchmark). Copied here, each string dies young where it was made. The chunks are kept and filled again by the next
/// row group: made anew for each one, the chunks under the large-object threshold (8 to 64 KiB) were themselves
/// promoted by every young collection, and the larger ones triggered collections of their own.
/// </summary>
internal sealed class CharArena
{
    /// <summary>The first chunk of a column: 4 Ki characters, so a small table stays small.</summary>
    private const int FirstChunkChars = 4 * 1024;

    /// <summary>Chunks double up to 256 Ki characters (512 KiB, on the large-object heap: never copied by the GC).</summary>
    private const int MaxChunkChars = 256 * 1024;

    private readonly List<char[]> _chunks = [];

    /// <summary>The chunk being filled (== the number of chunks before the first), and how much of it is used.</summary>
    private int _current;
    private int _used;

    /// <summary>
    /// The characters of <paramref name="value"/> (of <paramref name="whole"/> when given, which is then the same
    /// text as a string) as memory that stays valid until <see cref="Clear"/>.
    /// </summary>
    public ReadOnlyMemory<char> Add(ReadOnlySpan<char> value, string? whole = null)
    {
        if (value.Length == 0)
            return ReadOnlyMemory<char>.Empty;
        // A string longer than a quarter of the largest chunk is rare (a huge header value); it is kept as a string.
        if (value.Length > MaxChunkChars / 4)
            return (whole ?? new string(value)).AsMemory();
        // The next chunk with room, past those the value does not fit in (their rest stays unused this row group).
        while (_current < _chunks.Count && _used + value.Length > _chunks[_current].Length)
        {
            _current++;
            _used = 0;
        }

        if (_current == _chunks.Count)
        {
            int size = _chunks.Count == 0 ? FirstChunkChars : Math.Min(_chunks[^1].Length * 2, MaxChunkChars);
            _chunks.Add(new char[Math.Max(size, value.Length)]);
        }

        var chunk = _chunks[_current];
        value.CopyTo(chunk.AsSpan(_used));
        var memory = new ReadOnlyMemory<char>(chunk, _used, value.Length);
        _used += value.Length;
        return memory;
    }

    /// <summary>Characters held, used or not (for tests).</summary>
    internal long Capacity => _chunks.Sum(c => (long)c.Length);

    /// <summary>Forgets the characters; the chunks are kept for the next row group.</summary>
    public void Clear()
    {
        _current = 0;
        _used = 0;
    }
}

/// <summary>
/// An optional STRING (UTF-8 BYTE_ARRAY) column; the characters are kept in a <see cref="CharArena"/>. Written as its
/// non-null values and a definition level per row (1 a value, 0 null), the form <see cref="StringListBuffer"/> uses.
/// </summary>
internal sealed class StringBuffer : ColumnBuffer
{
    private readonly DataField _field;
    private readonly int _rowGroupRows;
    private readonly CharArena _chars = new();
    private ReadOnlyMemory<char>[] _values = [];
    private int[] _definitions = [];
    private int _valueCount;
    private int _count;

    public StringBuffer(string name, int rowGroupRows)
        : this(new DataField(name, typeof(string), isNullable: true), rowGroupRows)
    {
    }

    private StringBuffer(DataField field, int rowGroupRows)
    {
        _field = field;
        _rowGroupRows = rowGroupRows;
    }

    public override ColumnBuffer Twin() => new StringBuffer(_field, _rowGroupRows);

    public override Field Field => _field;

    public override void Add(TableRow row, int column)
    {
        Grow(ref _definitions, _count + 1, _rowGroupRows);
        bool isNull = row.IsNull(column);
        _definitions[_count++] = isNull ? 0 : 1;
        if (isNull)
            return;
        Grow(ref _values, _valueCount + 1, _rowGroupRows);
        _values[_valueCount++] = _chars.Add(row.Text(column), row.StringObject(column));
    }

    public override Task WriteAsync(ParquetRowGroupWriter rowGroup) =>
        rowGroup.WriteAllPartsAsync<ReadOnlyMemory<char>>(_field, new ReadOnlyMemory<ReadOnlyMemory<char>>(_values, 0, _valueCount),
            new ReadOnlyMemory<int>(_definitions, 0, _count), null, CancellationToken.None);

    public override void Clear()
    {
        Array.Clear(_values, 0, _valueCount);
        _valueCount = 0;
        _count = 0;
        _chars.Clear();
    }
}

/// <summary>
/// An optional LIST of optional STRING, in the three-level layout of parquet-format's LogicalTypes.md ("Lists"):
/// <c>optional group name (LIST) { repeated group list { optional binary element (STRING); } }</c>. Written as the
/// element column with its repetition and definition levels: per row, a null list is one entry of definition level 0,
/// an empty list one of level 1, and each element an entry of level 2 (null) or 3 (a value), with repetition level
/// 0 for a row's first entry and 1 for the rest.
/// </summary>
internal sealed class StringListBuffer : ColumnBuffer
{
    private const int NullList = 0;
    private const int EmptyList = 1;
    private const int NullElement = 2;
    private const int Element = 3;

    private readonly ListField _field;
    private readonly DataField _element;
    private readonly int _rowGroupRows;
    private readonly CharArena _chars = new();
    private ReadOnlyMemory<char>[] _values = [];
    private int[] _definitions = [];
    private int[] _repetitions = [];
    private int _valueCount;
    private int _levelCount;

    public StringListBuffer(string name, int rowGroupRows)
    {
        _element = new DataField("element", typeof(string), isNullable: true);
        _field = new ListField(name, _element);
        _rowGroupRows = rowGroupRows;
    }

    private StringListBuffer(StringListBuffer of)
    {
        _element = of._element;
        _field = of._field;
        _rowGroupRows = of._rowGroupRows;
    }

    public override ColumnBuffer Twin() => new StringListBuffer(this);

    public override Field Field => _field;

    public override void Add(TableRow row, int column)
    {
        var list = row.List(column);
        if (list is null || list.Count == 0)
        {
            AddLevel(list is null ? NullList : EmptyList, 0);
            return;
        }

        for (int i = 0; i < list.Count; i++)
        {
            string? item = list[i];
            AddLevel(item is null ? NullElement : Element, i == 0 ? 0 : 1);
            if (item is not null)
            {
                Grow(ref _values, _valueCount + 1, _rowGroupRows);
                _values[_valueCount++] = _chars.Add(item, item);
            }
        }
    }

    private void AddLevel(int definition, int repetition)
    {
        Grow(ref _definitions, _levelCount + 1, _rowGroupRows);
        Grow(ref _repetitions, _levelCount + 1, _rowGroupRows);
        _definitions[_levelCount] = definition;
        _repetitions[_levelCount++] = repetition;
    }

    public override Task WriteAsync(ParquetRowGroupWriter rowGroup) =>
        rowGroup.WriteAllPartsAsync<ReadOnlyMemory<char>>(_element, new ReadOnlyMemory<ReadOnlyMemory<char>>(_values, 0, _valueCount),
            new ReadOnlyMemory<int>(_definitions, 0, _levelCount), new ReadOnlyMemory<int>(_repetitions, 0, _levelCount), CancellationToken.None);

    public override void Clear()
    {
        Array.Clear(_values, 0, _valueCount);
        _valueCount = 0;
        _levelCount = 0;
        _chars.Clear();
    }
}
