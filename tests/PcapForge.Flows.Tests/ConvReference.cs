using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;

namespace PcapForge.Flows.Tests;

/// <summary>
/// A byte count from tshark's conversation table. tshark prints counts below 10,000 exactly and larger ones with an
/// SI prefix, rounded down ("1221 kB" for 1,221,798 bytes), so a count is the range it stands for:
/// <see cref="Min"/> = <see cref="Max"/> when exact, else 1,221,000 to 1,221,999.
/// </summary>
public readonly record struct ConvByteCount(long Min, long Max)
{
    public bool IsExact => Min == Max;

    public bool Contains(long bytes) => bytes >= Min && bytes <= Max;

    public override string ToString() => IsExact ? Min.ToString(CultureInfo.InvariantCulture) : $"{Min}..{Max}";
}

/// <summary>
/// One conversation of tshark's <c>-z conv,tcp</c> or <c>-z conv,udp</c> table. A is the source of the
/// conversation's first frame (whatever the ports); frame and byte counts are per direction, bytes being frame
/// lengths as on the wire (<c>frame.len</c>, not the captured length). <see cref="RelativeStart"/> is seconds from the capture's first frame (9 decimals, computed by tshark in
/// floating point, so compare with a tolerance on large values) and <see cref="Duration"/> seconds from the
/// conversation's first to its last frame (4 decimals, rounded).
/// </summary>
public sealed record ConvReferenceRow(
    string Protocol,
    IPAddress AddressA,
    ushort PortA,
    IPAddress AddressB,
    ushort PortB,
    long FramesAToB,
    ConvByteCount BytesAToB,
    long FramesBToA,
    ConvByteCount BytesBToA,
    decimal RelativeStart,
    decimal Duration);

/// <summary>
/// A reference file written by <c>tests/conformance/tshark-conv.sh</c>: tshark's version line and command, its
/// exit status and error message when it stopped with an error, the tables it printed (none when it could not open
/// the capture) and the conversations, in the file's (sorted) order.
/// </summary>
public sealed record ConvReferenceFile(
    string TsharkVersion,
    string Command,
    int? ExitStatus,
    string? Error,
    IReadOnlyList<string> Tables,
    IReadOnlyList<ConvReferenceRow> Rows);

/// <summary>Reads the <c>.conv.tsv</c> / <c>.conv.tsv.gz</c> files of <c>Conformance/{testdata,shared}/</c> (format: Conformance/README.md).</summary>
public static class ConvReference
{
    public const string Suffix = ".conv.tsv";
    public const string CompressedSuffix = ".conv.tsv.gz";

    private const string CommandSeparator = "; command: ";
    private const string ExitStatusPrefix = "# tshark exit status ";
    private const string TablesPrefix = "# tables:";
    private const string RangeSeparator = "..";
    private const int ColumnCount = 11;

    /// <summary>The reference file of a capture in <paramref name="directory"/> (plain or gzipped), or null when there is none.</summary>
    public static string? Find(string directory, string captureFileName)
    {
        string plain = Path.Combine(directory, captureFileName + Suffix);
        if (File.Exists(plain))
            return plain;
        string compressed = Path.Combine(directory, captureFileName + CompressedSuffix);
        return File.Exists(compressed) ? compressed : null;
    }

    /// <summary>Reads a reference file, gunzipping it when its name ends in <c>.gz</c>.</summary>
    public static ConvReferenceFile Load(string path)
    {
        using Stream file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Parse(reader, path);
    }

    /// <summary>Parses a reference file's text; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="InvalidDataException">A line is not in the format the script writes.</exception>
    public static ConvReferenceFile Parse(TextReader reader, string source)
    {
        string? version = null, command = null, error = null;
        int? exitStatus = null;
        string[]? tables = null;
        var rows = new List<ConvReferenceRow>();
        int number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (number == 1)
            {
                int at = line.IndexOf(CommandSeparator, StringComparison.Ordinal);
                if (!line.StartsWith("# ", StringComparison.Ordinal) || at < 0)
                    throw Bad(source, number, "expected '# <tshark version>; command: <command>'", line);
                version = line[2..at];
                command = line[(at + CommandSeparator.Length)..];
            }
            else if (line.StartsWith(ExitStatusPrefix, StringComparison.Ordinal))
            {
                string rest = line[ExitStatusPrefix.Length..];
                int colon = rest.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0 || !int.TryParse(rest.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out int status))
                    throw Bad(source, number, "expected '# tshark exit status N: message'", line);
                exitStatus = status;
                error = rest[(colon + 1)..].Trim();
            }
            else if (line.StartsWith(TablesPrefix, StringComparison.Ordinal))
            {
                string[] names = line[TablesPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                tables = names is ["none"] ? [] : names;
            }
            else if (line.StartsWith('#'))
            {
                // the column-name line
            }
            else
            {
                rows.Add(ParseRow(line, source, number));
            }
        }

        if (version is null || command is null)
            throw Bad(source, 1, "the file is empty", "");
        if (tables is null)
            throw Bad(source, number, "no '# tables:' line", "");
        return new ConvReferenceFile(version, command, exitStatus, error, tables, rows);
    }

    private static ConvReferenceRow ParseRow(string line, string source, int number)
    {
        string[] c = line.Split('\t');
        if (c.Length != ColumnCount)
            throw Bad(source, number, $"expected {ColumnCount} tab-separated columns, got {c.Length}", line);
        if (c[0] is not ("tcp" or "udp"))
            throw Bad(source, number, $"expected protocol tcp or udp, got '{c[0]}'", line);
        return new ConvReferenceRow(
            c[0],
            Address(c[1]), Port(c[2]), Address(c[3]), Port(c[4]),
            Count(c[5]), Bytes(c[6]), Count(c[7]), Bytes(c[8]),
            Seconds(c[9]), Seconds(c[10]));

        IPAddress Address(string s) =>
            IPAddress.TryParse(s, out var a) ? a : throw Bad(source, number, $"expected an IPv4 or IPv6 address, got '{s}'", line);

        ushort Port(string s) =>
            ushort.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p) ? p : throw Bad(source, number, $"expected a port, got '{s}'", line);

        long Count(string s) =>
            long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : throw Bad(source, number, $"expected a count, got '{s}'", line);

        ConvByteCount Bytes(string s)
        {
            int range = s.IndexOf(RangeSeparator, StringComparison.Ordinal);
            if (range < 0)
                return new ConvByteCount(Count(s), Count(s));
            long min = Count(s[..range]), max = Count(s[(range + RangeSeparator.Length)..]);
            return min <= max ? new ConvByteCount(min, max) : throw Bad(source, number, $"byte range '{s}' runs backwards", line);
        }

        decimal Seconds(string s) =>
            decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal v)
                ? v
                : throw Bad(source, number, $"expected seconds, got '{s}'", line);
    }

    private static InvalidDataException Bad(string source, int line, string what, string text) =>
        new($"{source}, line {line}: {what}: {text}");
}
