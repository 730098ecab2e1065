using System.Globalization;

namespace PcapForge.Scan.Ports;

/// <summary>
/// nmap's <c>-p</c> port list (nmap(1), "Port Specification and Scan Order"): single ports and ranges separated by
/// commas (<c>22,80,8000-8100</c>); a range may leave out its start (<c>-1023</c>, from 1) or its end (<c>60000-</c>,
/// to 65535), so <c>-</c> alone is every port; service names from nmap-services, with <c>*</c> and <c>?</c> wildcards
/// (<c>http*</c>); a <c>T:</c> prefix for TCP. A connect scan is TCP only, so <c>U:</c> and <c>S:</c> are refused, and
/// port 0, which connect(2) cannot reach, too.
/// </summary>
public static class PortSpec
{
    public const int MaxPort = 65535;

    /// <summary>The ports of <paramref name="spec"/>, ascending and without repeats; a <see cref="ScanUsageException"/> names what is wrong.</summary>
    public static IReadOnlyList<int> Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var ports = new SortedSet<int>();
        if (spec.Trim().Length == 0)
            throw new ScanUsageException("the port list is empty");
        foreach (string raw in spec.Split(','))
        {
            string item = raw.Trim();
            if (item.Length >= 2 && item[1] == ':')
            {
                char protocol = char.ToUpperInvariant(item[0]);
                if (protocol != 'T')
                    throw new ScanUsageException($"'{item}': a connect scan is TCP only; '{item[..2]}' ports cannot be scanned (use T: or no prefix)");
                item = item[2..];
            }

            if (item.Length == 0)
                throw new ScanUsageException($"'{spec}': an empty item in the port list");
            if (char.IsAsciiLetter(item[0]) || item[0] is '*' or '?')
            {
                bool any = false;
                foreach (int port in NmapServices.PortsNamed(item))
                {
                    ports.Add(port);
                    any = true;
                }

                if (!any)
                    throw new ScanUsageException($"'{item}': no service of that name among the TCP ports of {NmapServices.Source}");
                continue;
            }

            int dash = item.IndexOf('-');
            int low, high;
            if (dash < 0)
            {
                low = high = Number(item, spec);
            }
            else
            {
                string start = item[..dash], end = item[(dash + 1)..];
                low = start.Length == 0 ? 1 : Number(start, spec);
                high = end.Length == 0 ? MaxPort : Number(end, spec);
                if (low > high)
                    throw new ScanUsageException($"'{item}': the range ends before it starts");
            }

            if (low == 0)
                throw new ScanUsageException($"'{item}': port 0 cannot be reached with connect(); ports are 1-{MaxPort}");
            for (int p = low; p <= high; p++)
                ports.Add(p);
        }

        return ports.ToArray();
    }

    private static int Number(string text, string spec)
    {
        if (text.Length == 0 || text.Length > 5 || !text.All(char.IsAsciiDigit)
            || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            throw new ScanUsageException($"'{text}' in '{spec}' is not a port number (ports are 1-{MaxPort}; ranges like 8000-8100)");
        if (port > MaxPort)
            throw new ScanUsageException($"'{text}' in '{spec}' is past the last port, {MaxPort}");
        return port;
    }
}
