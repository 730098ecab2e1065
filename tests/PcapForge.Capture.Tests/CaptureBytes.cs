using System.Buffers.Binary;
using System.Text;
using PcapForge.Abstractions;

namespace PcapForge.Capture.Tests;

/// <summary>
/// Builds pcap and pcapng bytes field by field, in either byte order, so that each test can write exactly the
/// (valid or damaged) file it is about. Layouts follow draft-ietf-opsawg-pcap and draft-ietf-opsawg-pcapng.
/// </summary>
internal sealed class CaptureBytes
{
    private readonly List<byte> _bytes = new();

    public CaptureBytes(bool bigEndian = false) => BigEndian = bigEndian;

    public bool BigEndian { get; }

    public int Length => _bytes.Count;

    public CaptureBytes U8(byte v)
    {
        _bytes.Add(v);
        return this;
    }

    public CaptureBytes U16(ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        if (BigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public CaptureBytes U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        if (BigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public CaptureBytes U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        if (BigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, v); else BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public CaptureBytes Raw(ReadOnlySpan<byte> data)
    {
        _bytes.AddRange(data.ToArray());
        return this;
    }

    public CaptureBytes Pad4()
    {
        while (_bytes.Count % 4 != 0)
            _bytes.Add(0);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();

    // ---- classic pcap ----

    public static byte[] PcapHeader(bool bigEndian = false, bool nanos = false, ushort major = 2, ushort minor = 4,
        uint snapLen = 65535, uint linkField = LinkTypes.Ethernet)
    {
        var b = new CaptureBytes(bigEndian);
        b.U32(nanos ? 0xA1B23C4D : 0xA1B2C3D4);
        b.U16(major).U16(minor).U32(0).U32(0).U32(snapLen).U32(linkField);
        return b.ToArray();
    }

    public static byte[] PcapRecord(uint seconds, uint fraction, byte[] data, uint? capLen = null, uint? origLen = null, bool bigEndian = false)
    {
        var b = new CaptureBytes(bigEndian);
        b.U32(seconds).U32(fraction).U32(capLen ?? (uint)data.Length).U32(origLen ?? (uint)data.Length).Raw(data);
        return b.ToArray();
    }

    // ---- pcapng ----

    /// <summary>A block with the given body; the lengths may be overridden to make it lie.</summary>
    public static byte[] Block(uint type, byte[] body, bool bigEndian = false, uint? length = null, uint? trailer = null)
    {
        int padded = (body.Length + 3) & ~3;
        uint total = (uint)(12 + padded);
        var b = new CaptureBytes(bigEndian);
        b.U32(type).U32(length ?? total).Raw(body).Pad4().U32(trailer ?? length ?? total);
        return b.ToArray();
    }

    public static byte[] Option(ushort code, byte[] value, bool bigEndian = false)
    {
        var b = new CaptureBytes(bigEndian);
        b.U16(code).U16((ushort)value.Length).Raw(value).Pad4();
        return b.ToArray();
    }

    public static byte[] Option(ushort code, string value, bool bigEndian = false) => Option(code, Encoding.UTF8.GetBytes(value), bigEndian);

    public static byte[] EndOfOptions => new byte[4];

    public static byte[] Shb(bool bigEndian = false, ushort major = 1, ushort minor = 0, byte[]? options = null, long sectionLength = -1)
    {
        var body = new CaptureBytes(bigEndian);
        body.U32(0x1A2B3C4D).U16(major).U16(minor).U64((ulong)sectionLength);
        if (options is not null)
            body.Raw(options);
        return Block(0x0A0D0D0A, body.ToArray(), bigEndian);
    }

    public static byte[] Idb(ushort linkType = LinkTypes.Ethernet, uint snapLen = 0, byte[]? options = null, bool bigEndian = false)
    {
        var body = new CaptureBytes(bigEndian);
        body.U16(linkType).U16(0).U32(snapLen);
        if (options is not null)
            body.Raw(options);
        return Block(1, body.ToArray(), bigEndian);
    }

    public static byte[] Epb(uint interfaceId, ulong timestamp, byte[] data, uint? capLen = null, uint? origLen = null,
        byte[]? options = null, bool bigEndian = false)
    {
        var body = new CaptureBytes(bigEndian);
        body.U32(interfaceId).U32((uint)(timestamp >> 32)).U32((uint)timestamp)
            .U32(capLen ?? (uint)data.Length).U32(origLen ?? (uint)data.Length).Raw(data).Pad4();
        if (options is not null)
            body.Raw(options);
        return Block(6, body.ToArray(), bigEndian);
    }

    public static byte[] Spb(uint origLen, byte[] data, bool bigEndian = false)
    {
        var body = new CaptureBytes(bigEndian);
        body.U32(origLen).Raw(data);
        return Block(3, body.ToArray(), bigEndian);
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A recognisable frame payload of the given length.</summary>
    public static byte[] Payload(int length, byte seed = 1) => Enumerable.Range(0, length).Select(i => (byte)(seed + i)).ToArray();
}

/// <summary>Everything a reader gave for one file: frames (with copies of their bytes), anomalies, metadata.</summary>
internal sealed record ReadResult(
    List<(FrameInfo Info, byte[] Data)> Frames,
    List<Anomaly> Anomalies,
    IReadOnlyList<SectionInfo> Sections,
    IReadOnlyList<InterfaceInfo> Interfaces,
    bool StoppedEarly,
    CaptureFormat Format,
    CaptureCompression Compression)
{
    public IEnumerable<string> AnomalyNames => Anomalies.Select(a => a.Name);

    /// <summary>Reads every frame of a file.</summary>
    public static ReadResult Of(string path, CaptureReaderOptions? options = null)
    {
        var anomalies = new AnomalyCollector();
        using var reader = CaptureReader.Open(path, (options ?? new CaptureReaderOptions()) with { Anomalies = anomalies });
        var frames = new List<(FrameInfo, byte[])>();
        while (reader.TryReadNext(out var frame))
            frames.Add((frame.Info, frame.Data.ToArray()));
        return new ReadResult(frames, anomalies.Kept.ToList(), reader.Sections.ToList(), reader.Interfaces.ToList(),
            reader.StoppedEarly, reader.Format, reader.Compression);
    }

    /// <summary>Writes the bytes to a temporary file and reads it.</summary>
    public static ReadResult OfBytes(byte[] bytes, CaptureReaderOptions? options = null)
    {
        using var file = new TempFile(bytes);
        return Of(file.Path, options);
    }
}

/// <summary>A temporary file deleted on dispose.</summary>
internal sealed class TempFile : IDisposable
{
    public TempFile(byte[]? contents = null, string extension = ".bin")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pcapforge-test-{Guid.NewGuid():N}{extension}");
        if (contents is not null)
            File.WriteAllBytes(Path, contents);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}
