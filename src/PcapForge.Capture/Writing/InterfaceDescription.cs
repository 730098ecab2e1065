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

/// <summary>
/// The counters of an Interface Statistics Block (draft-ietf-opsawg-pcapng section 4.6.1); a null counter is left out.
/// </summary>
public sealed record InterfaceCounters
{
    /// <summary>isb_starttime: when the capture on the interface began.</summary>
    public long? StartTimeNs { get; init; }

    /// <summary>isb_endtime: when it ended.</summary>
    public long? EndTimeNs { get; init; }

    /// <summary>isb_ifrecv: packets received from the interface.</summary>
    public ulong? Received { get; init; }

    /// <summary>isb_ifdrop: packets the interface dropped for lack of resources.</summary>
    public ulong? DroppedByInterface { get; init; }

    /// <summary>isb_filteraccept: packets the capture filter accepted.</summary>
    public ulong? AcceptedByFilter { get; init; }

    /// <summary>isb_osdrop: packets the operating system dropped (a full socket buffer).</summary>
    public ulong? DroppedByOs { get; init; }

    /// <summary>isb_usrdeliv: packets delivered to the capturing program and written.</summary>
    public ulong? DeliveredToUser { get; init; }
}
