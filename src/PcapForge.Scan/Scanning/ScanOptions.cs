namespace PcapForge.Scan.Scanning;

/// <summary>How a scan runs. The bounds keep a scan polite and finite: it never has more than
/// <see cref="Concurrency"/> connections open, never starts more than <see cref="Rate"/> a second, and stops by
/// itself after <see cref="MaxTime"/>.</summary>
public sealed record ScanOptions
{
    public const int DefaultConcurrency = 100;
    public const int MaxConcurrency = 1000;
    public const double DefaultRate = 1000;
    public const double MaxRate = 100_000;

    /// <summary>The TCP ports to try on every target.</summary>
    public required IReadOnlyList<int> Ports { get; init; }

    /// <summary>How long a connect() may take before the port counts as filtered; also how long a reply to a probe may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>Most connections open at once (connects in progress and service probes).</summary>
    public int Concurrency { get; init; } = DefaultConcurrency;

    /// <summary>Most connection attempts started per second, over the whole scan (nmap's --max-rate).</summary>
    public double Rate { get; init; } = DefaultRate;

    /// <summary>The scan stops after this long, whatever is left; the report says how many probes were not run.</summary>
    public TimeSpan MaxTime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Service and version detection on open ports (-sV).</summary>
    public bool ServiceDetection { get; init; }

    /// <summary>How long -sV waits for a server to speak first before it sends the HTTP probe.</summary>
    public TimeSpan BannerWait { get; init; } = TimeSpan.FromMilliseconds(2000);

    /// <summary>The User-Agent of the HTTP probes, naming the tool honestly.</summary>
    public string UserAgent { get; init; } = $"PcapForge/{ToolInfo.Version} (pcapforge scan)";
}
