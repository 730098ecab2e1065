namespace PcapForge.Capture.Writing;

/// <summary>What a writer records about an interface (a pcapng IDB).</summary>
public sealed record InterfaceDescription(int LinkType, uint SnapLength = 0)
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    public string? OperatingSystem { get; init; }
    public string? Hardware { get; init; }

    /// <summary>A libpcap filter expression (written as if_filter type 0).</summary>
    public string? Filter { get; init; }

    public ulong? Speed { get; init; }

    /// <summary>if_MACaddr as 12 hex digits, as <see cref="InterfaceInfo.MacAddress"/> gives it.</summary>
    public string? MacAddress { get; init; }
    public int? FcsLength { get; init; }

    /// <summary>Timestamp units; nanoseconds by default, so any timestamp the reader gives is written exactly.</summary>
    public TimestampResolution Resolution { get; init; } = TimestampResolution.Nanoseconds;

    public long TimestampOffsetSeconds { get; init; }
    public IReadOnlyList<string> Comments { get; init; } = [];

    /// <summary>The description of an interface the reader found, to write it again.</summary>
    public static InterfaceDescription From(InterfaceInfo info) => new(info.LinkType, info.SnapLength)
    {
        Name = info.Name,
        Description = info.Description,
        OperatingSystem = info.OperatingSystem,
        Hardware = info.Hardware,
        Filter = info.Filter,
        Speed = info.Speed,
        MacAddress = info.MacAddress,
        FcsLength = info.FcsLength,
        Resolution = info.Resolution,
        TimestampOffsetSeconds = info.TimestampOffsetSeconds,
        Comments = info.Comments.ToArray(),
    };
}
