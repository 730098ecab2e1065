using System.Buffers.Binary;
using System.IO.Compression;
using PcapForge.Abstractions;
using PcapForge.Capture.Formats;
using PcapForge.Capture.Sources;

namespace PcapForge.Capture;

/// <summary>
/// Reads a pcap or pcapng file, plain or gzip/zstd-compressed, frame by frame. Uncompressed files are
/// memory-mapped (<see cref="Sources.MappedFileSource"/>) and frames are slices of the mapping: no copy and no
/// allocation per frame.
/// Forward-only; a frame's bytes are valid until the next <see cref="TryReadNext"/>.
/// </summary>
public sealed class CaptureReader : IDisposable
{
    private const int PcapNgMagicLength = 4;
    private static ReadOnlySpan<byte> GzipMagic => [0x1F, 0x8B];
    private static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xB5, 0x2F, 0xFD];

    private readonly ByteSource _source;
    private readonly FormatParser _parser;
    private readonly CaptureState _state;

    private CaptureReader(string path, long fileSize, CaptureFormat format, CaptureCompression compression, ByteSource source,
        FormatParser parser, CaptureState state)
    {
        Path = path;
        FileSize = fileSize;
        Format = format;
        Compression = compression;
        _source = source;
        _parser = parser;
        _state = state;
    }

    /// <summary>The path the reader was opened on.</summary>
    public string Path { get; }

    /// <summary>Size of the file on disk (compressed size for a compressed file); 0 for a stream.</summary>
    public long FileSize { get; }

    public CaptureFormat Format { get; }

    public CaptureCompression Compression { get; }

    /// <summary>Sections seen so far (classic pcap has one). For pcapng, later sections appear as reading reaches them.</summary>
    public IReadOnlyList<SectionInfo> Sections => _state.Sections;

    /// <summary>Interfaces seen so far, across sections, indexed by <see cref="FrameInfo.InterfaceIndex"/>.</summary>
    public IReadOnlyList<InterfaceInfo> Interfaces => _state.Interfaces;

    /// <summary>Frames delivered so far.</summary>
    public long FramesRead => _state.FramesRead;

    /// <summary>Anomalies reported so far.</summary>
    public long AnomalyCount => _state.AnomalyCount;

    /// <summary>True when damage stopped reading before the end of the file.</summary>
    public bool StoppedEarly => _state.StoppedEarly;

    /// <summary>
    /// Bytes of the file consumed so far, for progress against <see cref="FileSize"/>: the parser's position in a
    /// plain file, the compressed bytes read in a compressed one.
    /// </summary>
    public long BytesConsumed => Compression == CaptureCompression.None ? _parser.Position : _source.Position;

    /// <summary>
    /// Opens a capture. Throws <see cref="CaptureFormatException"/> when the file is missing, unreadable, or not a
    /// capture (naming what it found); damage after the file header is reported as anomalies while reading.
    /// </summary>
    public static CaptureReader Open(string path, CaptureReaderOptions? options = null)
    {
        options ??= new CaptureReaderOptions();
        FileStream file;
        try
        {
            // Read-only, and others may keep writing or reading it: the input is never modified.
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CaptureFormatException(path, e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : $"cannot open: {e.Message}", e);
        }

        long fileSize = file.Length;
        ByteSource? source = null;
        bool handedOver = false;
        try
        {
            Span<byte> magic = stackalloc byte[4];
            int got = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
            file.Position = 0;
            var compression = CaptureCompression.None;
            var state = new CaptureState(options.Anomalies);
            if (got >= 2 && magic[..2].SequenceEqual(GzipMagic))
            {
                compression = CaptureCompression.Gzip;
                source = new StreamSource(new GZipStream(file, CompressionMode.Decompress), file, state.ReportDecompressionError);
            }
            else if (got >= 4 && magic.SequenceEqual(ZstdMagic))
            {
                compression = CaptureCompression.Zstd;
                source = new StreamSource(new ZstdSharp.DecompressionStream(file), file, state.ReportDecompressionError);
            }
            else
            {
                source = new MappedFileSource(file, options.WindowSize, options.WholeFileMapping);
            }

            var reader = Detect(path, fileSize, compression, source, state);
            handedOver = true;
            return reader;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException && e is not CaptureFormatException)
        {
            throw new CaptureFormatException(path, $"cannot read: {e.Message}", e);
        }
        finally
        {
            if (!handedOver)
            {
                source?.Dispose();
                file.Dispose();
            }
        }
    }

    /// <summary>
    /// Opens a capture that arrives as a byte stream, read forward only as it is written: a live capture's pcapng, or
    /// a pipe. <paramref name="name"/> stands for the path in messages. The stream is plain pcap or pcapng (not
    /// compressed); <see cref="FileSize"/> is 0 because its length is not known when it is opened. A read blocks until
    /// the stream has the bytes or ends, so frames come out as they are written. Throws
    /// <see cref="CaptureFormatException"/> when the stream does not start like a capture. The stream is disposed
    /// with the reader.
    /// </summary>
    public static CaptureReader Open(Stream stream, string name, CaptureReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new CaptureReaderOptions();
        var state = new CaptureState(options.Anomalies);
        var source = new StreamSource(stream, null, state.ReportStreamError, initialBuffer: 256 * 1024);
        bool handedOver = false;
        try
        {
            var reader = Detect(name, 0, CaptureCompression.None, source, state);
            handedOver = true;
            return reader;
        }
        catch (Exception e) when (e is IOException && e is not CaptureFormatException)
        {
            throw new CaptureFormatException(name, $"cannot read: {e.Message}", e);
        }
        finally
        {
            if (!handedOver)
                source.Dispose();
        }
    }

    private static CaptureReader Detect(string path, long fileSize, CaptureCompression compression, ByteSource source, CaptureState state)
    {
        string what = compression == CaptureCompression.None ? "" : $" (after {compression.ToString().ToLowerInvariant()} decompression)";
        ReadOnlySpan<byte> head = source.Read(0, PcapLayout.FileHeaderLength);
        if (head.IsEmpty)
            throw new CaptureFormatException(path, fileSize == 0 ? "the file is empty (0 bytes); not a capture" : $"no data{what}; not a capture");
        if (head.Length < PcapNgMagicLength)
            throw new CaptureFormatException(path, $"only {head.Length} bytes{what}; too short for a capture file header");

        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(head);
        switch (magicLe)
        {
            case PcapLayout.MagicMicrosecondsLe or PcapLayout.MagicMicrosecondsBe or PcapLayout.MagicNanosecondsLe
                or PcapLayout.MagicNanosecondsBe or PcapLayout.MagicModifiedLe or PcapLayout.MagicModifiedBe:
                if (head.Length < PcapLayout.FileHeaderLength)
                {
                    throw new CaptureFormatException(path,
                        $"pcap file header cut short: {head.Length} of {PcapLayout.FileHeaderLength} bytes{what}");
                }

                var format = magicLe is PcapLayout.MagicModifiedLe or PcapLayout.MagicModifiedBe ? CaptureFormat.PcapModified : CaptureFormat.Pcap;
                var pcap = new PcapParser(source, state, head, magicLe);
                return new CaptureReader(path, fileSize, format, compression, source, pcap, state);

            case PcapNgLayout.SectionHeaderBlock:
                var ng = new PcapNgParser(source, state);
                var reader = new CaptureReader(path, fileSize, CaptureFormat.PcapNg, compression, source, ng, state);
                reader.ReadUpToFirstFrameMetadata();
                return reader;

            default:
                throw new CaptureFormatException(path, $"not a pcap or pcapng file{what}: it starts with {Describe(head)}; " +
                    "expected a pcap magic (a1b2c3d4, a1b23c4d in either byte order) or a pcapng Section Header Block (0a0d0d0a)");
        }
    }

    /// <summary>
    /// Reads the next frame. Returns false at the end of the file, or where damage stopped reading
    /// (<see cref="StoppedEarly"/>). Never throws for damaged input.
    /// </summary>
    public bool TryReadNext(out Frame frame)
    {
        if (_pending)
        {
            _pending = false;
            frame = new Frame(_pendingInfo, _source.Read(_pendingInfo.DataOffset, _pendingInfo.CapturedLength));
            return true;
        }

        return _parser.TryReadNext(out frame);
    }

    private bool _pending;
    private FrameInfo _pendingInfo;

    /// <summary>
    /// pcapng keeps its interfaces in blocks before the first packet; read up to it so that <see cref="Interfaces"/>
    /// and <see cref="Sections"/> are filled right after <see cref="Open(string, CaptureReaderOptions?)"/>. The frame read is handed out first.
    /// </summary>
    private void ReadUpToFirstFrameMetadata()
    {
        if (_parser.TryReadNext(out Frame first))
        {
            _pending = true;
            _pendingInfo = first.Info;
        }
    }

    private static string Describe(ReadOnlySpan<byte> head)
    {
        var bytes = head[..Math.Min(8, head.Length)];
        string hex = Convert.ToHexString(bytes).ToLowerInvariant();
        bool printable = true;
        foreach (byte b in bytes)
            printable &= b is >= 0x20 and < 0x7F or (byte)'\n' or (byte)'\r' or (byte)'\t';
        if (!printable)
            return hex;
        string text = System.Text.Encoding.ASCII.GetString(bytes).Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
        return $"{hex} (text \"{text}\")";
    }

    public void Dispose() => _source.Dispose();
}
