using System.Globalization;

namespace PcapForge.Scan.Ports;

/// <summary>
/// TCP service names and the port ranking of <c>--top-ports</c>, read at run time from the machine's own tables, never
/// embedded: nmap's <c>nmap-services</c> (package nmap-common; frequencies and names, under the Nmap Public Source
/// License, which is why PcapForge does not carry a copy) when it is installed, else <c>/etc/services</c> (package
/// netbase, the IANA registry's names), whose TCP ports then stand in for the ranking in port order. A port that
/// neither names is <c>unknown</c>, as nmap names a port it has no entry for.
/// </summary>
public static class NmapServices
{
    /// <summary>nmap's name for a port it has no entry for.</summary>
    public const string Unknown = "unknown";

    /// <summary>Where nmap's table is looked for (PCAPFORGE_NMAP_SERVICES overrides it).</summary>
    public static string NmapServicesPath =>
        Environment.GetEnvironmentVariable("PCAPFORGE_NMAP_SERVICES") is { Length: > 0 } path ? path : "/usr/share/nmap/nmap-services";

    /// <summary>The system's services table.</summary>
    public const string EtcServicesPath = "/etc/services";

    /// <summary>nmap scans this many of its top ports when no port is named.</summary>
    public const int DefaultTopCount = 1000;

    private static readonly Lazy<Table> Data = new(Load);

    /// <summary>Which table the names and the ranking came from (for the report and <c>--help</c>).</summary>
    public static string Source => Data.Value.Source;

    /// <summary>How many ports <see cref="Top"/> can give.</summary>
    public static int TopCount => Data.Value.Ranked.Length;

    /// <summary>True when the ranking is nmap's open frequency; false when it is /etc/services' ports in order.</summary>
    public static bool HasFrequencies => Data.Value.HasFrequencies;

    /// <summary>The <paramref name="count"/> most frequently open TCP ports, most frequent first (nmap's <c>--top-ports</c>).</summary>
    public static IReadOnlyList<int> Top(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, TopCount);
        return Data.Value.Ranked.AsSpan(0, count).ToArray();
    }

    /// <summary>The service name of a TCP port, or <see cref="Unknown"/>.</summary>
    public static string NameOf(int port) => Data.Value.Names.TryGetValue(port, out var name) ? name : Unknown;

    /// <summary>
    /// The ports whose name matches <paramref name="pattern"/>, as nmap's <c>-p</c> takes service names: the whole name,
    /// case-insensitive, with <c>*</c> and <c>?</c> as wildcards (<c>-p http*</c>).
    /// </summary>
    public static IEnumerable<int> PortsNamed(string pattern)
    {
        foreach (var (port, name) in Data.Value.Names.OrderBy(e => e.Key))
        {
            if (WildcardMatch(pattern, name))
                yield return port;
        }
    }

    private sealed record Table(string Source, int[] Ranked, Dictionary<int, string> Names, bool HasFrequencies);

    private static Table Load()
    {
        if (File.Exists(NmapServicesPath))
        {
            var entries = ReadNmapServices(File.ReadLines(NmapServicesPath));
            if (entries.Count > 0)
            {
                var names = new Dictionary<int, string>();
                foreach (var e in entries)
                    names.TryAdd(e.Port, e.Name);
                // nmap ranks by frequency, the higher first, and equal frequencies by port (checked against nmap's own
                // --top-ports choice in NmapServicesTests).
                int[] ranked = entries.OrderByDescending(e => e.Frequency).ThenBy(e => e.Port).Select(e => e.Port).Distinct().ToArray();
                return new Table(NmapServicesPath, ranked, names, true);
            }
        }

        if (File.Exists(EtcServicesPath))
        {
            var names = ReadEtcServices(File.ReadLines(EtcServicesPath));
            return new Table(EtcServicesPath, names.Keys.Order().ToArray(), names, false);
        }

        return new Table("none", [], new Dictionary<int, string>(), false);
    }

    /// <summary>TCP entries of nmap-services: <c>name port/tcp frequency [comment]</c>.</summary>
    public static List<(int Port, string Name, double Frequency)> ReadNmapServices(IEnumerable<string> lines)
    {
        var result = new List<(int, string, double)>();
        foreach (var raw in lines)
        {
            var line = raw.AsSpan().Trim();
            if (line.IsEmpty || line[0] == '#')
                continue;
            var fields = raw.Split((char[]?)null, 4, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3 || !fields[1].EndsWith("/tcp", StringComparison.Ordinal))
                continue;
            if (!int.TryParse(fields[1].AsSpan(0, fields[1].Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
                continue;
            if (!double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double frequency))
                continue;
            result.Add((port, fields[0], frequency));
        }

        return result;
    }

    /// <summary>TCP entries of /etc/services (services(5)): <c>name port/tcp [aliases] [# comment]</c>; the first name of a port wins.</summary>
    public static Dictionary<int, string> ReadEtcServices(IEnumerable<string> lines)
    {
        var names = new Dictionary<int, string>();
        foreach (var raw in lines)
        {
            int hash = raw.IndexOf('#');
            var fields = (hash >= 0 ? raw[..hash] : raw).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !fields[1].EndsWith("/tcp", StringComparison.Ordinal))
                continue;
            if (int.TryParse(fields[1].AsSpan(0, fields[1].Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535)
                names.TryAdd(port, fields[0]);
        }

        return names;
    }

    private static bool WildcardMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        while (!pattern.IsEmpty)
        {
            char p = pattern[0];
            if (p == '*')
            {
                for (int skip = 0; skip <= text.Length; skip++)
                {
                    if (WildcardMatch(pattern[1..], text[skip..]))
                        return true;
                }

                return false;
            }

            if (text.IsEmpty || (p != '?' && char.ToLowerInvariant(p) != char.ToLowerInvariant(text[0])))
                return false;
            pattern = pattern[1..];
            text = text[1..];
        }

        return text.IsEmpty;
    }
}
