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

    private static ColumnDescriptor C(string name, ColumnType type, string description) => new(name, type, description);

    public static readonly RecordTableDescriptor Descriptor = new("scan", "One row per port of a TCP connect scan (pcapforge scan), with what service detection found (-sV)",
    [
        C("ts", ColumnType.Timestamp, "When the port's connect() finished"),
        C("host", ColumnType.String, "Address scanned, as flows.resp_h writes it (IPv6 without brackets)"),
        C("host_name", ColumnType.String, "The host name the address was resolved from; null for an address or CIDR target"),
        C("target", ColumnType.String, "The target as given on the command line (name, address or CIDR block)"),
        C("port", ColumnType.Int32, "TCP port, as flows.resp_p"),
        C("proto", ColumnType.String, "Transport protocol, as flows.proto: tcp"),
        C("state", ColumnType.String, "open (connected), closed (refused), filtered (no answer, or an ICMP unreachable), as nmap reports them"),
        C("reason", ColumnType.String, "Why, in nmap's words: syn-ack, conn-refused, no-response, host-unreach, net-unreach, admin-prohibited"),
        C("service", ColumnType.String, "The service: found by a probe (ssh, smtp, http, tcpwrapped) or the port's nmap-services name (see service_method)"),
        C("service_method", ColumnType.String, "probed (a banner or probe identified the service) or table (only the port's usual service, nmap's method=\"table\")"),
        C("product", ColumnType.String, "Software behind the port (OpenSSH, nginx, Postfix smtpd), as nmap names it"),
        C("version", ColumnType.String, "The product's version number alone (9.2p1, 1.22.1)"),
        C("version_detail", ColumnType.String, "A distribution's package revision after the version (Debian 2+deb12u3), which nmap prints as part of its version"),
        C("extra_info", ColumnType.String, "nmap's extrainfo, shown in parentheses in the VERSION column (protocol 2.0)"),
        C("service_host", ColumnType.String, "The name the service gives itself (an SMTP greeting's domain), nmap's Service Info Host"),
        C("os_type", ColumnType.String, "Operating system a banner reveals (Linux for a Debian or Ubuntu OpenSSH), nmap's Service Info OS"),
        C("banner", ColumnType.String, "What the service sent first (its greeting, or its reply to HEAD /): line ends as \\n, other control bytes as \\xNN, at most 1024 characters"),
        C("http_title", ColumnType.String, "The <title> of the page GET / returned"),
        C("http_server", ColumnType.String, "The Server header of the reply to HEAD /"),
        C("http_status", ColumnType.Int32, "The status code of the reply to HEAD /"),
        C("ssh_proto_version", ColumnType.String, "The protocol version of the SSH identification string (2.0, 1.99)"),
        C("smtp_extensions", ColumnType.StringList, "The extensions of the EHLO reply (PIPELINING, SIZE 10240000, STARTTLS …)"),
        C("connect_time", ColumnType.Double, "Seconds connect() took to succeed or be refused, by the wall clock; null for a filtered port"),
        C("rtt", ColumnType.Double, "Seconds of the handshake's round trip as the kernel measured it (TCP_INFO tcpi_rtt, Linux); open ports only"),
        C("capture_id", ColumnType.String, "The scan; joins captures (source = scan)"),
    ]);

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
