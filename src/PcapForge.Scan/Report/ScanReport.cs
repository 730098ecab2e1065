using System.Globalization;
using System.Text;
using PcapForge.Scan.Scanning;
using PcapForge.Scan.Targets;

namespace PcapForge.Scan.Report;

/// <summary>
/// The report in the shape of nmap's normal output (nmap(1), "Output"): per host a report line, "Host is up",
/// "Not shown: N closed tcp ports (conn-refused)" for every state with more than 25 ports (nmap's
/// <c>PortList::isIgnoredState</c>), then the <c>PORT STATE SERVICE [VERSION]</c> table and the Service Info line.
/// </summary>
public static class ScanReport
{
    /// <summary>nmap folds a state into "Not shown" when it has more ports than this.</summary>
    public const int MaxShownPerState = 25;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void WriteStart(TextWriter w, DateTime start)
    {
        w.WriteLine($"Starting PcapForge {ToolInfo.Version} scan at {start.ToString("yyyy-MM-dd HH:mm", Inv)} UTC");
    }

    /// <summary>Every host's section, in the order the targets were named, then the closing line.</summary>
    public static void Write(TextWriter w, ScanRun run, bool openOnly)
    {
        var byTarget = run.Results.GroupBy(r => r.Target).ToDictionary(g => g.Key, g => g.ToList());
        int up = 0;
        foreach (var target in run.Targets)
        {
            var results = byTarget.TryGetValue(target, out var list) ? list : [];
            if (IsUp(results))
                up++;
            WriteHost(w, target, results, run.Options.ServiceDetection, openOnly);
        }

        if (run.DeadlineReached)
            w.WriteLine($"Stopped at the --max-time deadline ({run.Options.MaxTime.TotalSeconds.ToString("0.##", Inv)} s): {run.NotScanned:N0} of {(long)run.Targets.Count * run.Options.Ports.Count:N0} probes were not run.");
        int n = run.Targets.Count;
        w.WriteLine($"PcapForge done: {n} IP address{(n == 1 ? "" : "es")} ({up} host{(up == 1 ? "" : "s")} up) scanned in {run.Elapsed.TotalSeconds.ToString("0.00", Inv)} seconds");
    }

    /// <summary>A host answered on some port (connected or refused): its latency is known.</summary>
    public static bool IsUp(IReadOnlyList<PortResult> results) => results.Any(r => r.ConnectTime is not null);

    public static void WriteHost(TextWriter w, ScanTarget target, IReadOnlyList<PortResult> results, bool serviceDetection, bool openOnly)
    {
        var ignored = IgnoredStates(results, openOnly);
        var shown = results.Where(r => !ignored.Contains(r.State)).ToList();
        // nmap prints nothing at all for a host without an open port under --open.
        if (openOnly && shown.Count == 0)
            return;

        string name = target.HostName is null ? target.AddressText : $"{target.HostName} ({target.AddressText})";
        w.WriteLine($"PcapForge scan report for {name}");
        // nmap prints its smoothed RTT; the kernel's handshake RTT is the same measure, the connect time a fallback.
        var latency = results.Where(r => r.Latency is not null).Select(r => r.Latency!.Value).DefaultIfEmpty().Min();
        w.WriteLine(IsUp(results) ? $"Host is up ({SignificantSeconds(latency)}s latency)." : "Host is up.");
        if (target.OtherAddresses.Count > 0)
            w.WriteLine($"Other addresses for {target.HostName} (not scanned): {string.Join(' ', target.OtherAddresses)}");

        string notShown = NotShown(results, ignored);
        if (shown.Count == 0)
        {
            w.WriteLine($"All {results.Count} scanned ports on {name} are in ignored states.");
            if (notShown.Length > 0)
                w.WriteLine(notShown);
            w.WriteLine();
            return;
        }

        if (notShown.Length > 0)
            w.WriteLine(notShown);
        else
            w.WriteLine();

        var rows = new List<string[]> { serviceDetection ? ["PORT", "STATE", "SERVICE", "VERSION"] : ["PORT", "STATE", "SERVICE"] };
        foreach (var r in shown)
        {
            // nmap marks an open port whose service no probe confirmed with "?" (the name is only the port's usual one).
            string service = r.Service is { } s ? s.DisplayName + (s.Probed || r.State != PortState.Open ? "" : "?") : Ports.NmapServices.NameOf(r.Port);
            var row = new List<string> { $"{r.Port}/tcp", r.StateName, service };
            if (serviceDetection)
                row.Add(r.Service?.VersionText ?? "");
            rows.Add([.. row]);
        }

        WriteTable(w, rows);
        string info = ServiceInfo(shown);
        if (info.Length > 0)
            w.WriteLine(info);
        w.WriteLine();
    }

    /// <summary>States folded into "Not shown": more than 25 ports (never open), or every state but open under --open.</summary>
    internal static HashSet<PortState> IgnoredStates(IReadOnlyList<PortResult> results, bool openOnly)
    {
        var set = new HashSet<PortState>();
        foreach (var group in results.GroupBy(r => r.State))
        {
            if (group.Key != PortState.Open && (openOnly || group.Count() > MaxShownPerState))
                set.Add(group.Key);
        }

        return set;
    }

    /// <summary>"Not shown: 997 closed tcp ports (conn-refused), 2 filtered tcp ports (no-response)", largest first.</summary>
    internal static string NotShown(IReadOnlyList<PortResult> results, HashSet<PortState> ignored)
    {
        var parts = new List<string>();
        foreach (var group in results.Where(r => ignored.Contains(r.State)).GroupBy(r => r.State).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key))
        {
            var reasons = group.GroupBy(r => r.Reason).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
            string why = reasons.Count == 1 ? reasons[0].Key : string.Join(", ", reasons.Select(g => $"{g.Count()} {g.Key}"));
            string state = group.First().StateName;
            parts.Add($"{group.Count()} {state} tcp port{(group.Count() == 1 ? "" : "s")} ({why})");
        }

        return parts.Count == 0 ? "" : "Not shown: " + string.Join(", ", parts);
    }

    /// <summary>nmap's "Service Info: Host: mail.example; OS: Linux" from what the banners revealed.</summary>
    internal static string ServiceInfo(IReadOnlyList<PortResult> shown)
    {
        var hosts = shown.Select(r => r.Service?.ServiceHost).Where(h => !string.IsNullOrEmpty(h)).Distinct().ToList();
        var oses = shown.Select(r => r.Service?.OsType).Where(o => !string.IsNullOrEmpty(o)).Distinct().ToList();
        var parts = new List<string>();
        if (hosts.Count > 0)
            parts.Add($"Host{(hosts.Count > 1 ? "s" : "")}: {string.Join(", ", hosts)}");
        if (oses.Count > 0)
            parts.Add($"OS{(oses.Count > 1 ? "s" : "")}: {string.Join(", ", oses)}");
        return parts.Count == 0 ? "" : "Service Info: " + string.Join("; ", parts);
    }

    /// <summary>Columns padded to their widest cell plus one space, the last one not padded (nmap's table).</summary>
    private static void WriteTable(TextWriter w, List<string[]> rows)
    {
        int columns = rows[0].Length;
        var widths = new int[columns];
        foreach (var row in rows)
        {
            for (int c = 0; c < columns; c++)
                widths[c] = Math.Max(widths[c], row[c].Length);
        }

        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            sb.Clear();
            for (int c = 0; c < columns; c++)
            {
                if (c < columns - 1)
                    sb.Append(row[c].PadRight(widths[c] + 1));
                else
                    sb.Append(row[c]);
            }

            w.WriteLine(sb.ToString().TrimEnd());
        }
    }

    /// <summary>Seconds with two significant digits, in fixed notation, as nmap prints latency (0.00011s, 0.012s, 1.5s).</summary>
    internal static string SignificantSeconds(TimeSpan time)
    {
        double s = time.TotalSeconds;
        if (s <= 0)
            return "0.0";
        int digits = Math.Max(0, 1 - (int)Math.Floor(Math.Log10(s)));
        return Math.Round(s, digits).ToString("F" + digits.ToString(Inv), Inv);
    }
}
