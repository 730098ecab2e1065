namespace PcapForge.Scan.Ports;

/// <summary>
/// nmap's TCP service names and port ranking, embedded (see <c>NmapServices.g.cs</c>) so that a scan works, and names
/// ports as nmap does, without nmap installed. Covers the 1000 ports nmap scans by default; other ports are
/// <c>unknown</c>, as nmap names a port it has no entry for.
/// </summary>
public static partial class NmapServices
{
    /// <summary>How many ports <see cref="Top"/> can give: the ports nmap scans by default.</summary>
    public const int TopCount = 1000;

    /// <summary>nmap's name for a port it has no entry for.</summary>
    public const string Unknown = "unknown";

    /// <summary>Built on first use: the generated table lives in another file of this partial class, whose static
    /// fields may be initialised after this file's.</summary>
    private static Dictionary<int, string>? _namesByPort;

    private static Dictionary<int, string> NamesByPort => _namesByPort ??= TopTcp.ToDictionary(e => (int)e.Port, e => e.Name);

    /// <summary>The <paramref name="count"/> most frequently open TCP ports, most frequent first (nmap's <c>--top-ports</c>).</summary>
    public static IReadOnlyList<int> Top(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, TopCount);
        var ports = new int[count];
        for (int i = 0; i < count; i++)
            ports[i] = TopTcp[i].Port;
        return ports;
    }

    /// <summary>nmap's service name for a TCP port, or <see cref="Unknown"/>.</summary>
    public static string NameOf(int port) => NamesByPort.TryGetValue(port, out var name) ? name : Unknown;

    /// <summary>
    /// The ports whose name matches <paramref name="pattern"/>, as nmap's <c>-p</c> takes service names: the whole name,
    /// case-insensitive, with <c>*</c> and <c>?</c> as wildcards (<c>-p http*</c>).
    /// </summary>
    public static IEnumerable<int> PortsNamed(string pattern)
    {
        foreach (var (port, name) in TopTcp)
        {
            if (WildcardMatch(pattern, name))
                yield return port;
        }
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
