using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using PcapForge.Abstractions.Records;
using PcapForge.Output;
using PcapForge.Scan.Scanning;

namespace PcapForge.Scan.Dataset;

/// <summary>
/// The <c>scan</c> table (one row per scanned port, nmap's XML <c>port</c> element flattened) and the scan's
/// <c>captures</c> row (source <c>scan</c>). <c>host</c>/<c>port</c>/<c>proto</c> join <c>flows</c> on
/// <c>resp_h</c>/<c>resp_p</c>/<c>proto</c>: what a scan saw on the service a flow went to.
/// </summary>
public static class ScanTable
{
    public const string Source = "scan";

    /// <summary>The table's schema, kept with the host's other tables (<see cref="HostTables.Scan"/>).</summary>
    public static RecordTableDescriptor Descriptor => HostTables.Scan;

    /// <summary>The scan's id: 16 hex digits of an xxHash128 over the host name, the start time and the targets, as other capture ids are.</summary>
    public static string CaptureId(string host, long start, IEnumerable<string> targets)
    {
        var hash = new XxHash128();
        hash.Append(Encoding.UTF8.GetBytes(Source + "\0" + host + "\0" + string.Join('\0', targets) + "\0"));
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(time, start);
        hash.Append(time);
        return Convert.ToHexStringLower(hash.GetCurrentHash())[..16];
    }

    /// <summary>The row of one port, in the column order of <see cref="Descriptor"/>.</summary>
    public static object?[] Row(PortResult r, string captureId)
    {
        var row = new object?[Descriptor.Columns.Count];
        void Set(string column, object? value) => row[Index(Descriptor, column)] = value;
        var s = r.Service;
        Set("ts", r.Timestamp);
        Set("host", r.Target.AddressText);
        Set("host_name", r.Target.HostName);
        Set("target", r.Target.Spec);
        Set("port", r.Port);
        Set("proto", "tcp");
        Set("state", r.StateName);
        Set("reason", r.Reason);
        Set("service", s?.Name ?? Ports.NmapServices.NameOf(r.Port));
        Set("service_method", s is { Probed: true } ? "probed" : "table");
        Set("product", s?.Product);
        Set("version", s?.Version);
        Set("version_detail", s?.VersionDetail);
        Set("extra_info", s?.ExtraInfo);
        Set("service_host", s?.ServiceHost);
        Set("os_type", s?.OsType);
        Set("banner", s?.Banner);
        Set("http_title", s?.HttpTitle);
        Set("http_server", s?.HttpServer);
        Set("http_status", s?.HttpStatus);
        Set("ssh_proto_version", s?.SshProtoVersion);
        Set("smtp_extensions", s?.SmtpExtensions?.ToArray());
        Set("tunnel", s?.Tunnel);
        Set("tls_version", s?.Tls?.Protocol);
        Set("tls_cipher", s?.Tls?.Cipher);
        Set("cert_subject", s?.Tls?.Subject);
        Set("cert_issuer", s?.Tls?.Issuer);
        Set("cert_not_after", s?.Tls?.NotAfter is { } expiry ? (expiry.ToUnixTimeMilliseconds() * 1_000_000L) : null);
        Set("cert_sha256", s?.Tls?.Sha256);
        Set("connect_time", r.ConnectTime?.TotalSeconds);
        Set("rtt", r.Rtt?.TotalSeconds);
        Set("capture_id", captureId);
        return row;
    }

    /// <summary>The <c>captures</c> row of a scan: source scan, the targets as its path, the time of its first and last result.</summary>
    public static object?[] Capture(ScanRun run, string captureId, string host, IReadOnlyList<string> targets, IReadOnlyList<string> parsers, string commandLine)
    {
        var table = HostTables.Captures;
        var row = new object?[table.Columns.Count];
        void Set(string column, object? value) => row[Index(table, column)] = value;
        Set("capture_id", captureId);
        Set("source", Source);
        Set("path", string.Join(' ', targets));
        if (run.Results.Count > 0)
        {
            Set("first_ts", run.Results.Min(r => r.Timestamp));
            Set("last_ts", run.Results.Max(r => r.Timestamp));
        }

        Set("host", host);
        Set("tool_version", ToolInfo.Version);
        Set("plugins", parsers.ToArray());
        Set("options", commandLine);
        Set("run_start", run.Start);
        Set("run_end", run.End);
        return row;
    }

    /// <summary>
    /// The dissector assemblies whose parsers -sV used, as captures.plugins names loaded plugins: protocol id and
    /// assembly file.
    /// </summary>
    public static IReadOnlyList<string> Parsers() =>
    [
        $"ssh ({typeof(Dissectors.Ssh.SshIdentification).Assembly.GetName().Name}.dll)",
        $"smtp ({typeof(Dissectors.Smtp.SmtpReply).Assembly.GetName().Name}.dll)",
        $"http ({typeof(Dissectors.Http.HttpResponseHead).Assembly.GetName().Name}.dll)",
    ];

    private static int Index(RecordTableDescriptor table, string column)
    {
        int index = table.IndexOf(column);
        if (index < 0)
            throw new InvalidOperationException($"table '{table.Name}' has no column '{column}'");
        return index;
    }
}
