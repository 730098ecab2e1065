using PcapForge.Abstractions;

namespace PcapForge.Capture;

/// <summary>The container format of a capture file.</summary>
public enum CaptureFormat
{
    /// <summary>Classic libpcap format (draft-ietf-opsawg-pcap).</summary>
    Pcap,

    /// <summary>pcap with Alexey Kuznetzov's extended record header (magic 0xa1b2cd34).</summary>
    PcapModified,

    /// <summary>pcap Next Generation (draft-ietf-opsawg-pcapng).</summary>
    PcapNg,
}

/// <summary>Compression wrapped around the capture, detected by magic number.</summary>
public enum CaptureCompression
{
    None,
    Gzip,
    Zstd,
}

/// <summary>Byte order of a pcap file or a pcapng section.</summary>
public enum ByteOrder
{
    LittleEndian,
    BigEndian,
}

/// <summary>One section: the whole file for classic pcap, one Section Header Block and what follows for pcapng.</summary>
public sealed class SectionInfo
{
    internal SectionInfo(int index, long fileOffset, ByteOrder byteOrder, int majorVersion, int minorVersion)
    {
        Index = index;
        FileOffset = fileOffset;
        ByteOrder = byteOrder;
        MajorVersion = majorVersion;
        MinorVersion = minorVersion;
    }

    public int Index { get; }
    public long FileOffset { get; }
    public ByteOrder ByteOrder { get; }
    public int MajorVersion { get; }
    public int MinorVersion { get; }

    /// <summary>pcapng section length; null when the SHB says -1 (not specified) and for classic pcap.</summary>
    public long? SectionLength { get; internal set; }

    public string? Hardware { get; internal set; }
    public string? OperatingSystem { get; internal set; }
    public string? UserApplication { get; internal set; }
    public List<string> Comments { get; } = new();

    /// <summary>Classic pcap <c>thiszone</c> (GMT offset in seconds; always 0 in practice).</summary>
    public int TimeZoneOffset { get; internal set; }

    /// <summary>Classic pcap <c>sigfigs</c>.</summary>
    public uint SignificantFigures { get; internal set; }

    /// <summary>Name Resolution Block entries: address and names, in file order.</summary>
    public List<NameResolutionEntry> NameResolution { get; } = new();

    /// <summary>Decryption Secrets Blocks seen in this section (their contents are not kept).</summary>
    public List<DecryptionSecretsInfo> DecryptionSecrets { get; } = new();

    /// <summary>Number of Custom Blocks (0x00000BAD, 0x40000BAD) seen.</summary>
    public int CustomBlocks { get; internal set; }

    /// <summary>Number of blocks of types this reader does not interpret (skipped by their length).</summary>
    public int UnknownBlocks { get; internal set; }

    /// <summary>Interfaces described in this section, indexed by their section-scoped id.</summary>
    public List<InterfaceInfo> Interfaces { get; } = new();
}

/// <summary>A Name Resolution Block record.</summary>
public sealed record NameResolutionEntry(string Address, IReadOnlyList<string> Names);

/// <summary>A Decryption Secrets Block: its type, length and where it is.</summary>
public sealed record DecryptionSecretsInfo(uint SecretsType, long Length, long FileOffset)
{
    /// <summary>Registered name of the secrets type (draft-ietf-opsawg-pcapng section 4.7).</summary>
    public string TypeName => SecretsType switch
    {
        0x544c534b => "TLS key log",
        0x5353484b => "SSH key log",
        0x57474b4c => "WireGuard key log",
        0x5a4e574b => "ZigBee NWK key",
        0x5a415053 => "ZigBee APS key",
        0x55414b4c => "OPC UA key log",
        _ => $"0x{SecretsType:x8}",
    };
}

/// <summary>Counters from the last Interface Statistics Block of an interface.</summary>
public sealed class InterfaceStatistics
{
    public long? TimestampNs { get; internal set; }
    public long? StartTimeNs { get; internal set; }
    public long? EndTimeNs { get; internal set; }
    public ulong? ReceivedPackets { get; internal set; }
    public ulong? DroppedByInterface { get; internal set; }
    public ulong? AcceptedByFilter { get; internal set; }
    public ulong? DroppedByOs { get; internal set; }
    public ulong? DeliveredToUser { get; internal set; }
    public List<string> Comments { get; } = new();
}

/// <summary>
/// A capture interface: the pcapng Interface Description Block, or the link type and snaplen of a classic
/// pcap file header.
/// </summary>
public sealed class InterfaceInfo
{
    internal InterfaceInfo(int index, int section, int id, int linkType, uint snapLength, long fileOffset)
    {
        Index = index;
        Section = section;
        Id = id;
        LinkType = linkType;
        SnapLength = snapLength;
        FileOffset = fileOffset;
    }

    /// <summary>Index across the whole file (matches <see cref="FrameInfo.InterfaceIndex"/>).</summary>
    public int Index { get; }

    public int Section { get; }

    /// <summary>Interface id within its section (matches <see cref="FrameInfo.InterfaceId"/>).</summary>
    public int Id { get; }

    public int LinkType { get; }
    public string LinkTypeName => LinkTypes.Name(LinkType);

    /// <summary>Maximum captured length; 0 means not set (pcapng) or unlimited.</summary>
    public uint SnapLength { get; }

    public long FileOffset { get; }

    public string? Name { get; internal set; }
    public string? Description { get; internal set; }
    public string? OperatingSystem { get; internal set; }
    public string? Hardware { get; internal set; }

    /// <summary><c>if_filter</c>: the filter string (type 0, libpcap syntax) or a note of the filter type.</summary>
    public string? Filter { get; internal set; }

    public ulong? Speed { get; internal set; }
    public string? MacAddress { get; internal set; }
    public List<string> Addresses { get; } = new();
    public List<string> Comments { get; } = new();

    /// <summary>Timestamp resolution: units per second are 10^<c>exp</c> or 2^<c>exp</c>.</summary>
    public TimestampResolution Resolution { get; internal set; } = TimestampResolution.Microseconds;

    /// <summary>True when the resolution was given by <c>if_tsresol</c> (pcapng) or the file magic (pcap).</summary>
    public bool ResolutionExplicit { get; internal set; }

    /// <summary><c>if_tsoffset</c>: seconds added to every timestamp of the interface.</summary>
    public long TimestampOffsetSeconds { get; internal set; }

    /// <summary>FCS bytes at the end of each frame: <c>if_fcslen</c>, or the FCS bits of the pcap link-type field. Null when not stated.</summary>
    public int? FcsLength { get; internal set; }

    /// <summary>Last Interface Statistics Block counters, when any.</summary>
    public InterfaceStatistics? Statistics { get; internal set; }

    internal TimestampScale Scale;

    /// <summary>Timestamp of the last frame read on this interface (for checking statistics blocks against it).</summary>
    internal long? LastFrameTimestampNs;
}

/// <summary>A timestamp resolution: 10^-Exponent or 2^-Exponent seconds per unit.</summary>
public readonly record struct TimestampResolution(bool PowerOfTwo, int Exponent)
{
    public static readonly TimestampResolution Microseconds = new(false, 6);
    public static readonly TimestampResolution Nanoseconds = new(false, 9);

    /// <summary>The raw <c>if_tsresol</c> byte for this resolution.</summary>
    public byte ToTsResolByte() => (byte)(PowerOfTwo ? 0x80 | Exponent : Exponent);

    public static TimestampResolution FromTsResolByte(byte value) =>
        (value & 0x80) != 0 ? new(true, value & 0x7F) : new(false, value);

    public override string ToString() => (PowerOfTwo, Exponent) switch
    {
        (false, 0) => "seconds",
        (false, 3) => "milliseconds",
        (false, 6) => "microseconds",
        (false, 9) => "nanoseconds",
        (false, 12) => "picoseconds",
        (false, var e) => $"10^-{e} s",
        (true, var e) => $"2^-{e} s",
    };
}
