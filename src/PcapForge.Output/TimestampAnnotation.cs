using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PcapForge.Output;

/// <summary>
/// Marks INT64 columns of a finished Parquet file as TIMESTAMP(NANOS).
/// <para>
/// Parquet.Net 6.1 writes the TIMESTAMP logical type only from <see cref="DateTime"/> values, whose resolution is a
/// tick (100 ns), so the last two digits of a nanosecond capture would be lost; its statistics for such a column are
/// also not in the column's unit (DuckDB then skips row groups that match a filter). So timestamp columns are written
/// as plain INT64 nanoseconds, whose values and statistics are exact, and once Parquet.Net has written the footer this
/// rewrites the annotation of those columns in the footer's schema. Nothing else in the file changes.
/// </para>
/// <para>
/// The footer is <c>FileMetaData | 4-byte little-endian length | "PAR1"</c> (parquet-format, "File Format"), in the
/// Thrift compact protocol (thrift/doc/specs/thrift-compact-protocol.md); field ids are those of parquet.thrift.
/// </para>
/// </summary>
internal static class TimestampAnnotation
{
    // parquet.thrift field ids.
    private const short FileMetaDataSchema = 2;
    private const short SchemaElementType = 1;
    private const short SchemaElementName = 4;
    private const short SchemaElementConvertedType = 6;
    private const short SchemaElementLogicalType = 10;

    // parquet.thrift: enum Type { BOOLEAN = 0; INT32 = 1; INT64 = 2; ... }.
    private const long PhysicalTypeInt64 = 2;

    // Thrift compact protocol type ids.
    private const byte Stop = 0;
    private const byte BoolTrue = 1;
    private const byte BoolFalse = 2;
    private const byte Byte = 3;
    private const byte I16 = 4;
    private const byte I32 = 5;
    private const byte I64 = 6;
    private const byte Double = 7;
    private const byte Binary = 8;
    private const byte List = 9;
    private const byte Set = 10;
    private const byte Map = 11;
    private const byte Struct = 12;
    private const byte Uuid = 13;

    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    /// <summary>
    /// The value of SchemaElement.logicalType: LogicalType { 8: TIMESTAMP = TimestampType { 1: isAdjustedToUTC,
    /// 2: unit = TimeUnit { 3: NANOS = NanoSeconds {} } } }, each field header being (id delta &lt;&lt; 4 | type).
    /// </summary>
    private static byte[] LogicalTypeTimestampNanos(bool adjustedToUtc) =>
        [0x80 | Struct, (byte)(0x10 | (adjustedToUtc ? BoolTrue : BoolFalse)), 0x10 | Struct, 0x30 | Struct, Stop, Stop, Stop, Stop];

    /// <summary>
    /// Rewrites the footer of <paramref name="file"/> (positioned anywhere; left at its end) so that the schema elements
    /// at the given indexes (0 is the root), which must be INT64 columns of the given names, are TIMESTAMP(NANOS).
    /// </summary>
    public static void Apply(Stream file, IReadOnlyDictionary<int, string> elements, bool adjustedToUtc)
    {
        if (elements.Count == 0)
            return;
        Span<byte> tail = stackalloc byte[8];
        file.Seek(-tail.Length, SeekOrigin.End);
        file.ReadExactly(tail);
        int length = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (!tail[4..].SequenceEqual(Magic) || length <= 0 || length > file.Length - tail.Length - Magic.Length)
            throw new InvalidDataException("the Parquet writer left no footer");
        long start = file.Length - tail.Length - length;
        var footer = new byte[length];
        file.Seek(start, SeekOrigin.Begin);
        file.ReadExactly(footer);

        byte[] rewritten = Rewrite(footer, elements, adjustedToUtc);
        file.Seek(start, SeekOrigin.Begin);
        file.Write(rewritten);
        BinaryPrimitives.WriteInt32LittleEndian(tail, rewritten.Length);
        file.Write(tail[..4]);
        file.Write(Magic);
        file.SetLength(file.Position);
    }

    /// <summary>The FileMetaData with those schema elements re-annotated; every other byte is copied.</summary>
    internal static byte[] Rewrite(ReadOnlySpan<byte> footer, IReadOnlyDictionary<int, string> elements, bool adjustedToUtc)
    {
        var output = new ArrayBufferWriter<byte>(footer.Length + 8 * elements.Count);
        int pos = 0;
        short lastId = 0;
        int rewritten = 0;
        while (true)
        {
            int fieldStart = pos;
            if (!ReadFieldHeader(footer, ref pos, ref lastId, out short id, out byte type))
            {
                output.Write(footer[fieldStart..pos]);
                break;
            }

            if (id != FileMetaDataSchema || type != List)
            {
                Skip(footer, ref pos, type, inCollection: false);
                output.Write(footer[fieldStart..pos]);
                continue;
            }

            int count = ReadCollectionHeader(footer, ref pos, out _);
            output.Write(footer[fieldStart..pos]);
            for (int i = 0; i < count; i++)
            {
                int elementStart = pos;
                if (elements.TryGetValue(i, out string? name))
                {
                    RewriteElement(footer, ref pos, name, adjustedToUtc, output);
                    rewritten++;
                }
                else
                {
                    Skip(footer, ref pos, Struct, inCollection: true);
                    output.Write(footer[elementStart..pos]);
                }
            }
        }

        if (pos != footer.Length || rewritten != elements.Count)
            throw new InvalidDataException($"Parquet footer: rewrote {rewritten} of {elements.Count} timestamp columns, read {pos} of {footer.Length} bytes");
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Copies a SchemaElement without its converted_type and with the TIMESTAMP(NANOS) logical type.</summary>
    private static void RewriteElement(ReadOnlySpan<byte> s, ref int pos, string expectedName, bool adjustedToUtc, IBufferWriter<byte> output)
    {
        var fields = new List<(short Id, byte Type, byte[] Value)>();
        short lastId = 0;
        while (ReadFieldHeader(s, ref pos, ref lastId, out short id, out byte type))
        {
            int valueStart = pos;
            Skip(s, ref pos, type, inCollection: false);
            fields.Add((id, type, s[valueStart..pos].ToArray()));
        }

        var physical = fields.Find(f => f.Id == SchemaElementType);
        var name = fields.Find(f => f.Id == SchemaElementName);
        int p = 0;
        long physicalType = physical.Value is null ? -1 : ZigZag(ReadVarint(physical.Value, ref p));
        string actualName = name.Value is null ? "" : Encoding.UTF8.GetString(name.Value.AsSpan(VarintLength(name.Value)));
        if (physicalType != PhysicalTypeInt64 || actualName != expectedName)
            throw new InvalidDataException($"Parquet footer: expected the INT64 column '{expectedName}', got '{actualName}' of physical type {physicalType}");

        fields.RemoveAll(f => f.Id is SchemaElementConvertedType or SchemaElementLogicalType);
        fields.Add((SchemaElementLogicalType, Struct, LogicalTypeTimestampNanos(adjustedToUtc)));
        fields.Sort((a, b) => a.Id.CompareTo(b.Id));
        short lastWritten = 0;
        foreach (var (id, type, value) in fields)
        {
            WriteFieldHeader(output, ref lastWritten, id, type);
            output.Write(value);
        }

        output.Write([Stop]);
    }

    private static bool ReadFieldHeader(ReadOnlySpan<byte> s, ref int pos, ref short lastId, out short id, out byte type)
    {
        byte header = s[pos++];
        if (header == Stop)
        {
            id = 0;
            type = Stop;
            return false;
        }

        type = (byte)(header & 0x0F);
        int delta = header >> 4;
        id = delta != 0 ? (short)(lastId + delta) : (short)ZigZag(ReadVarint(s, ref pos));
        lastId = id;
        return true;
    }

    private static void WriteFieldHeader(IBufferWriter<byte> output, ref short lastId, short id, byte type)
    {
        int delta = id - lastId;
        if (delta is > 0 and <= 15)
        {
            output.Write([(byte)(delta << 4 | type)]);
        }
        else
        {
            output.Write([type]);
            WriteVarint(output, (ulong)((id << 1) ^ (id >> 15)));
        }

        lastId = id;
    }

    /// <summary>A list or set header: the element count (in the high nibble, or a varint after 0xF) and type.</summary>
    private static int ReadCollectionHeader(ReadOnlySpan<byte> s, ref int pos, out byte elementType)
    {
        byte header = s[pos++];
        elementType = (byte)(header & 0x0F);
        int count = header >> 4;
        return count == 15 ? checked((int)ReadVarint(s, ref pos)) : count;
    }

    private static void Skip(ReadOnlySpan<byte> s, ref int pos, byte type, bool inCollection)
    {
        switch (type)
        {
            case BoolTrue or BoolFalse:
                // A bool field's value is in its header; a bool in a list takes one byte.
                if (inCollection)
                    pos++;
                break;
            case Byte:
                pos++;
                break;
            case I16 or I32 or I64:
                ReadVarint(s, ref pos);
                break;
            case Double:
                pos += 8;
                break;
            case Uuid:
                pos += 16;
                break;
            case Binary:
                int length = checked((int)ReadVarint(s, ref pos));
                pos += length;
                break;
            case List or Set:
                int count = ReadCollectionHeader(s, ref pos, out byte elementType);
                for (int i = 0; i < count; i++)
                    Skip(s, ref pos, elementType, inCollection: true);
                break;
            case Map:
                int entries = checked((int)ReadVarint(s, ref pos));
                if (entries > 0)
                {
                    byte kinds = s[pos++];
                    for (int i = 0; i < entries; i++)
                    {
                        Skip(s, ref pos, (byte)(kinds >> 4), inCollection: true);
                        Skip(s, ref pos, (byte)(kinds & 0x0F), inCollection: true);
                    }
                }

                break;
            case Struct:
                short lastId = 0;
                while (ReadFieldHeader(s, ref pos, ref lastId, out _, out byte fieldType))
                    Skip(s, ref pos, fieldType, inCollection: false);
                break;
            default:
                throw new InvalidDataException($"Parquet footer: unknown Thrift compact type {type} at byte {pos}");
        }

        if (pos > s.Length)
            throw new InvalidDataException($"Parquet footer: a value runs past its end ({pos} > {s.Length})");
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> s, ref int pos)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = s[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }

        throw new InvalidDataException($"Parquet footer: varint longer than 10 bytes at byte {pos}");
    }

    private static int VarintLength(ReadOnlySpan<byte> s)
    {
        int pos = 0;
        ReadVarint(s, ref pos);
        return pos;
    }

    private static void WriteVarint(IBufferWriter<byte> output, ulong value)
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = 0;
        while (value >= 0x80)
        {
            buffer[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[n++] = (byte)value;
        output.Write(buffer[..n]);
    }

    private static long ZigZag(ulong n) => (long)(n >> 1) ^ -(long)(n & 1);
}
