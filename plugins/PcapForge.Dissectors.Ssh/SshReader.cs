using System.Buffers.Binary;

namespace PcapForge.Dissectors.Ssh;

/// <summary>
/// Forward-only reader of the SSH data types of RFC 4251 §5 (byte, boolean, uint32, string, name-list) over a span.
/// Every <c>TryRead…</c> returns false, and leaves the position where it was, when the bytes are short or a length
/// runs past the end: the caller decides whether that means "incomplete" or "malformed".
/// </summary>
public ref struct SshReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public SshReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Offset of the next byte to read.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes left after <see cref="Position"/>.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Reads one byte (RFC 4251 §5 "byte", also "boolean").</summary>
    public bool TryReadByte(out byte value)
    {
        if (_position >= _data.Length)
        {
            value = 0;
            return false;
        }

        value = _data[_position++];
        return true;
    }

    /// <summary>Reads a big-endian uint32 (RFC 4251 §5 "uint32").</summary>
    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < sizeof(uint))
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(_data[_position..]);
        _position += sizeof(uint);
        return true;
    }

    /// <summary>Reads <paramref name="count"/> raw bytes.</summary>
    public bool TryReadBytes(int count, out ReadOnlySpan<byte> value)
    {
        if (count < 0 || count > Remaining)
        {
            value = default;
            return false;
        }

        value = _data.Slice(_position, count);
        _position += count;
        return true;
    }

    /// <summary>Reads a "string" (RFC 4251 §5): a uint32 length and that many bytes. Also reads "name-list" and "mpint" bodies.</summary>
    public bool TryReadString(out ReadOnlySpan<byte> value)
    {
        if (Remaining < sizeof(uint))
        {
            value = default;
            return false;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(_data[_position..]);
        if (length > (uint)(Remaining - sizeof(uint)))
        {
            value = default;
            return false;
        }

        value = _data.Slice(_position + sizeof(uint), (int)length);
        _position += sizeof(uint) + (int)length;
        return true;
    }

    /// <summary>
    /// Reads an SSH-1 multiple-precision integer (draft-ylonen-ssh-protocol-00 §"Data Type Encodings"): a uint16
    /// count of bits, then ceil(bits / 8) bytes, most significant first.
    /// </summary>
    public bool TryReadSsh1MpInt(out ReadOnlySpan<byte> value)
    {
        if (Remaining < sizeof(ushort))
        {
            value = default;
            return false;
        }

        int bits = BinaryPrimitives.ReadUInt16BigEndian(_data[_position..]);
        int length = (bits + 7) / 8;
        if (length > Remaining - sizeof(ushort))
        {
            value = default;
            return false;
        }

        value = _data.Slice(_position + sizeof(ushort), length);
        _position += sizeof(ushort) + length;
        return true;
    }
}
