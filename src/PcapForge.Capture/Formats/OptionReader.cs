using System.Buffers.Binary;

namespace PcapForge.Capture.Formats;

/// <summary>
/// Walks the options of a pcapng block (section 3.5): code (2), length (2), value padded to 4 bytes, ended by
/// opt_endofopt or by the end of the block. An option that runs past the block stops the walk and is flagged.
/// </summary>
internal ref struct OptionReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly bool _bigEndian;
    private int _position;

    public OptionReader(ReadOnlySpan<byte> data, bool bigEndian)
    {
        _data = data;
        _bigEndian = bigEndian;
        _position = 0;
        Overrun = false;
    }

    /// <summary>True when an option's length ran past the end of the block.</summary>
    public bool Overrun { get; private set; }

    /// <summary>Offset, within the options area, of the option that ran past the end.</summary>
    public int OverrunAt { get; private set; }

    /// <summary>Code and length of the option that ran past the end.</summary>
    public (ushort Code, ushort Length) OverrunOption { get; private set; }

    public bool TryNext(out ushort code, out ReadOnlySpan<byte> value)
    {
        code = 0;
        value = default;
        if (_data.Length - _position < 4)
            return false;
        code = Read16(_data.Slice(_position));
        ushort length = Read16(_data.Slice(_position + 2));
        if (code == PcapNgLayout.OptEndOfOpt)
            return false;
        int start = _position + 4;
        if (length > _data.Length - start)
        {
            Overrun = true;
            OverrunAt = _position;
            OverrunOption = (code, length);
            return false;
        }

        value = _data.Slice(start, length);
        _position = start + PcapNgLayout.Pad4(length);
        return true;
    }

    public readonly ushort Read16(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    public readonly uint Read32(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

    public readonly ulong Read64(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
}
