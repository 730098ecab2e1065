using System.Buffers.Binary;
using System.Text;
using static PcapForge.Capture.Formats.PcapNgLayout;

namespace PcapForge.Capture.Writing;

/// <summary>
/// Writes pcapng (draft-ietf-opsawg-pcapng) in the machine's little-endian order: Section Header Blocks,
/// Interface Description Blocks with options, Enhanced Packet Blocks (nanosecond resolution unless the interface
/// says otherwise) with flags, drop count and comments, and Simple Packet Blocks. <see cref="Complete"/> flushes;
/// disposing only releases.
/// </summary>
public sealed class PcapNgWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly List<(InterfaceDescription Description, TimestampScale Scale)> _interfaces = new();
    private byte[] _buffer = new byte[64 * 1024];
    private int _length;
    private bool _sectionStarted;

    public PcapNgWriter(Stream stream, bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Interfaces declared in the current section.</summary>
    public int InterfaceCount => _interfaces.Count;

    /// <summary>Starts a section; its interfaces start again from id 0.</summary>
    public void WriteSectionHeader(string? hardware = null, string? operatingSystem = null, string? userApplication = null,
        IReadOnlyList<string>? comments = null)
    {
        Begin(SectionHeaderBlock);
        Put32(ByteOrderMagic);
        Put16(1);
        Put16(0);
        Put64(ulong.MaxValue); // section length not specified (-1)
        foreach (var c in comments ?? [])
            PutStringOption(OptComment, c);
        PutStringOption(ShbHardware, hardware);
        PutStringOption(ShbOs, operatingSystem);
        PutStringOption(ShbUserAppl, userApplication);
        EndOptions();
        End();
        _interfaces.Clear();
        _sectionStarted = true;
    }

    /// <summary>Declares an interface and returns its id in the current section.</summary>
    public int AddInterface(InterfaceDescription description)
    {
        EnsureSection();
        if (!TimestampScale.TryCreate(description.Resolution, description.TimestampOffsetSeconds, out var scale))
            throw new ArgumentException($"resolution {description.Resolution} cannot be written", nameof(description));
        Begin(InterfaceDescriptionBlock);
        Put16((ushort)description.LinkType);
        Put16(0);
        Put32(description.SnapLength);
        foreach (var c in description.Comments)
            PutStringOption(OptComment, c);
        PutStringOption(IfName, description.Name);
        PutStringOption(IfDescription, description.Description);
        if (description.MacAddress is string mac)
            PutOption(IfMacAddr, Convert.FromHexString(mac));
        if (description.Speed is ulong speed)
            PutOption64(IfSpeed, speed);
        if (description.Resolution != TimestampResolution.Microseconds)
            PutOption(IfTsResol, [description.Resolution.ToTsResolByte()]);
        if (description.Filter is string filter)
        {
            byte[] value = new byte[1 + Encoding.UTF8.GetByteCount(filter)];
            Encoding.UTF8.GetBytes(filter, value.AsSpan(1));
            PutOption(IfFilter, value);
        }

        PutStringOption(IfOs, description.OperatingSystem);
        if (description.FcsLength is int fcs)
            PutOption(IfFcsLen, [(byte)fcs]);
        if (description.TimestampOffsetSeconds != 0)
            PutOption64(IfTsOffset, (ulong)description.TimestampOffsetSeconds);
        PutStringOption(IfHardware, description.Hardware);
        EndOptions();
        End();
        _interfaces.Add((description, scale));
        return _interfaces.Count - 1;
    }

    /// <summary>Writes an Enhanced Packet Block.</summary>
    public void WritePacket(int interfaceId, long timestampNs, ReadOnlySpan<byte> data, long originalLength,
        uint? flags = null, ulong? dropCount = null, IReadOnlyList<string>? comments = null, ulong? packetId = null, uint? queue = null)
    {
        if ((uint)interfaceId >= (uint)_interfaces.Count)
            throw new ArgumentOutOfRangeException(nameof(interfaceId), $"interface {interfaceId} was not added to this section ({_interfaces.Count} are)");
        if (originalLength < data.Length || originalLength > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(originalLength), $"original length {originalLength} must lie between the captured length {data.Length} and 2^32-1");
        ulong raw = _interfaces[interfaceId].Scale.FromNanoseconds(timestampNs);
        Begin(EnhancedPacketBlock);
        Put32((uint)interfaceId);
        Put32((uint)(raw >> 32));
        Put32((uint)raw);
        Put32((uint)data.Length);
        Put32((uint)originalLength);
        PutPadded(data);
        foreach (var c in comments ?? [])
            PutStringOption(OptComment, c);
        if (flags is uint f)
            PutOption32(EpbFlags, f);
        if (dropCount is ulong d)
            PutOption64(EpbDropCount, d);
        if (packetId is ulong id)
            PutOption64(EpbPacketId, id);
        if (queue is uint q)
            PutOption32(EpbQueue, q);
        EndOptions();
        End();
    }

    /// <summary>Writes a Simple Packet Block (interface 0, no timestamp; the data must not exceed interface 0's snaplen).</summary>
    public void WriteSimplePacket(ReadOnlySpan<byte> data, long originalLength)
    {
        if (_interfaces.Count == 0)
            throw new InvalidOperationException("a Simple Packet Block needs interface 0 to be declared first");
        Begin(SimplePacketBlock);
        Put32((uint)originalLength);
        PutPadded(data);
        End();
    }

    /// <summary>
    /// Writes an Interface Statistics Block (draft-ietf-opsawg-pcapng section 4.6) for an interface of the current
    /// section: its timestamp and the counters given, each in the option of its name; the times are in the
    /// interface's resolution, like a packet's.
    /// </summary>
    public void WriteInterfaceStatistics(int interfaceId, long timestampNs, InterfaceCounters counters)
    {
        if ((uint)interfaceId >= (uint)_interfaces.Count)
            throw new ArgumentOutOfRangeException(nameof(interfaceId), $"interface {interfaceId} was not added to this section ({_interfaces.Count} are)");
        var scale = _interfaces[interfaceId].Scale;
        ulong raw = scale.FromNanoseconds(timestampNs);
        Begin(InterfaceStatisticsBlock);
        Put32((uint)interfaceId);
        Put32((uint)(raw >> 32));
        Put32((uint)raw);
        // isb_starttime and isb_endtime are stored like a block timestamp: the high 32 bits first (section 4.6).
        if (counters.StartTimeNs is long start)
            PutTimestampOption(IsbStartTime, scale.FromNanoseconds(start));
        if (counters.EndTimeNs is long end)
            PutTimestampOption(IsbEndTime, scale.FromNanoseconds(end));
        if (counters.Received is ulong received)
            PutOption64(IsbIfRecv, received);
        if (counters.DroppedByInterface is ulong ifDrop)
            PutOption64(IsbIfDrop, ifDrop);
        if (counters.AcceptedByFilter is ulong accepted)
            PutOption64(IsbFilterAccept, accepted);
        if (counters.DroppedByOs is ulong osDrop)
            PutOption64(IsbOsDrop, osDrop);
        if (counters.DeliveredToUser is ulong delivered)
            PutOption64(IsbUsrDeliv, delivered);
        EndOptions();
        End();
    }

    /// <summary>
    /// Writes the blocks buffered so far to the stream and flushes it, so that a reader of a file still being
    /// written (a live capture's) sees every frame written so far.
    /// </summary>
    public void Flush()
    {
        Drain();
        _stream.Flush();
    }

    /// <summary>Flushes everything written to the stream. Call before disposing; disposing does not flush.</summary>
    public void Complete() => Flush();

    public void Dispose()
    {
        if (!_leaveOpen)
            _stream.Dispose();
    }

    private void EnsureSection()
    {
        if (!_sectionStarted)
            WriteSectionHeader(userApplication: "PcapForge");
    }

    // Blocks are assembled in the buffer: the start offset is remembered, lengths are patched in End().
    private int _blockStart;

    private void Begin(uint type)
    {
        if (type != SectionHeaderBlock)
            EnsureSection();
        if (_length > 48 * 1024)
            Drain();
        _blockStart = _length;
        Put32(type);
        Put32(0);
    }

    private void End()
    {
        int total = _length - _blockStart + 4;
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_blockStart + 4), (uint)total);
        Put32((uint)total);
    }

    private void EndOptions()
    {
        // opt_endofopt is only needed when there were options; a block without options ends right away.
        int optionsWritten = _optionsInBlock;
        _optionsInBlock = 0;
        if (optionsWritten > 0)
        {
            Put16(OptEndOfOpt);
            Put16(0);
        }
    }

    private int _optionsInBlock;

    private void PutOption32(ushort code, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        PutOption(code, b);
    }

    private void PutTimestampOption(ushort code, ulong raw)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)(raw >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)raw);
        PutOption(code, b);
    }

    private void PutOption64(ushort code, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        PutOption(code, b);
    }

    private void PutOption(ushort code, ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
            throw new ArgumentException($"option {code} value of {value.Length} bytes is over 65535");
        Put16(code);
        Put16((ushort)value.Length);
        PutPadded(value);
        _optionsInBlock++;
    }

    private void PutStringOption(ushort code, string? value)
    {
        if (value is null)
            return;
        PutOption(code, Encoding.UTF8.GetBytes(value));
    }

    private void PutPadded(ReadOnlySpan<byte> data)
    {
        Ensure(Pad4(data.Length));
        data.CopyTo(_buffer.AsSpan(_length));
        int padded = Pad4(data.Length);
        _buffer.AsSpan(_length + data.Length, padded - data.Length).Clear();
        _length += padded;
    }

    private void Put16(ushort v)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length), v);
        _length += 2;
    }

    private void Put32(uint v)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), v);
        _length += 4;
    }

    private void Put64(ulong v)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), v);
        _length += 8;
    }

    private void Ensure(int more)
    {
        if (_length + more > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }

    private void Drain()
    {
        // Only whole blocks are drained: Begin() calls this before a block starts, Complete() after the last.
        _stream.Write(_buffer, 0, _length);
        _length = 0;
    }
}
