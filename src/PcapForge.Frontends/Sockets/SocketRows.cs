using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using PcapForge.Abstractions.Records;
using PcapForge.Output;

namespace PcapForge.Frontends.Sockets;

/// <summary>
/// A snapshot's rows for the dataset: one <c>sockets</c> row per socket and one <c>captures</c> row (source
/// <c>sockets</c>) per snapshot, joined by <c>capture_id</c>.
/// </summary>
public static class SocketRows
{
    public const string Source = "sockets";

    /// <summary>
    /// The capture id of a snapshot: 16 hex digits of an xxHash128 over the host name and the snapshot time in
    /// nanoseconds, as analyze's ids are 16 hex digits of an xxHash128; two snapshots of one host differ by their time,
    /// and the same host and time give the same id.
    /// </summary>
    public static string CaptureId(string host, long timestamp)
    {
        var hash = new XxHash128();
        hash.Append(Encoding.UTF8.GetBytes(Source + "\0" + host + "\0"));
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(time, timestamp);
        hash.Append(time);
        return Convert.ToHexStringLower(hash.GetCurrentHash())[..16];
    }

    /// <summary>The <c>sockets</c> row of one socket, in the column order of <see cref="HostTables.Sockets"/>.</summary>
    public static object?[] Socket(SocketSnapshot snapshot, SocketEntry entry, string captureId, LocalNames names)
    {
        var table = HostTables.Sockets;
        var row = new object?[table.Columns.Count];
        void Set(string column, object? value) => row[Index(table, column)] = value;

        string local = entry.LocalOnWire.ToString();
        bool hasPeer = entry.RemotePort != 0 || !SocketEntry.IsUnspecified(entry.RemoteAddress);
        string? remote = hasPeer ? entry.RemoteOnWire.ToString() : null;
        int? remotePort = hasPeer ? entry.RemotePort : null;
        var role = snapshot.RoleOf(entry);
        var owner = snapshot.OwnerOf(entry);
        string state = ProcNetSockets.StateName(entry);

        Set("ts", snapshot.Timestamp);
        switch (role)
        {
            case SocketRole.Listener:
                Set("resp_h", local);
                Set("resp_p", entry.LocalPort);
                break;
            case SocketRole.Responder:
                Set("orig_h", remote);
                Set("orig_p", remotePort);
                Set("resp_h", local);
                Set("resp_p", entry.LocalPort);
                break;
            default:
                Set("orig_h", local);
                Set("orig_p", entry.LocalPort);
                Set("resp_h", remote);
                Set("resp_p", remotePort);
                break;
        }

        Set("proto", entry.Proto);
        Set("ip_version", entry.IpVersion);
        Set("local_h", local);
        Set("local_p", entry.LocalPort);
        Set("remote_h", remote);
        Set("remote_p", remotePort);
        Set("local_role", role switch { SocketRole.Listener => "listener", SocketRole.Responder => "responder", _ => "originator" });
        Set("netstat_proto", entry.NetstatProto);
        Set("state", state.Length == 0 ? null : state);
        Set("kernel_state", entry.State);
        Set("recv_q", entry.RxQueue);
        Set("send_q", entry.TxQueue);
        Set("uid", entry.Uid);
        Set("user", names.UserName(entry.Uid));
        Set("inode", entry.Inode);
        Set("pid", owner?.Pid);
        Set("program", owner?.Program);
        Set("command", owner?.Command);
        Set("capture_id", captureId);
        return row;
    }

    /// <summary>The <c>captures</c> row of one snapshot.</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="captureId">Its <see cref="CaptureId"/>.</param>
    /// <param name="host">The host name.</param>
    /// <param name="procRoot">Where the tables were read (the <c>path</c> column).</param>
    /// <param name="commandLine">The options of the run.</param>
    /// <param name="runStart">When the run started, nanoseconds since the Unix epoch.</param>
    /// <param name="runEnd">When this snapshot was written.</param>
    public static object?[] Capture(SocketSnapshot snapshot, string captureId, string host, string procRoot, string commandLine, long runStart, long runEnd)
    {
        var table = HostTables.Captures;
        var row = new object?[table.Columns.Count];
        void Set(string column, object? value) => row[Index(table, column)] = value;
        Set("capture_id", captureId);
        Set("source", Source);
        Set("path", procRoot);
        Set("first_ts", snapshot.Timestamp);
        Set("last_ts", snapshot.Timestamp);
        Set("host", host);
        Set("tool_version", ToolVersion);
        Set("options", commandLine);
        Set("run_start", runStart);
        Set("run_end", runEnd);
        return row;
    }

    /// <summary>The pcapforge version, as analyze writes it.</summary>
    public static string ToolVersion { get; } = typeof(SocketRows).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static int Index(RecordTableDescriptor table, string column)
    {
        int index = table.IndexOf(column);
        if (index < 0)
            throw new InvalidOperationException($"table '{table.Name}' has no column '{column}'");
        return index;
    }
}
