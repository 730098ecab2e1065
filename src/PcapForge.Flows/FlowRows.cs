using PcapForge.Output;

namespace PcapForge.Flows;

/// <summary>Turns an ended <see cref="Flow"/> into a row of the <c>flows</c> table.</summary>
internal sealed class FlowRows
{
    private readonly RowBuilder _row = new(HostTables.Flows);

    public TableRow Build(Flow f)
    {
        bool v4 = f.IpVersion == 4;
        bool icmp = f.Key.Protocol is 1 or 58;
        bool ports = f.Key.Protocol is 6 or 17 or 132;
        long duration = f.LastTs - f.FirstTs;
        // Text columns are formatted here and copied into the row: no string per flow for them.
        Span<char> orig = stackalloc char[IpAddress128.MaxTextLength], resp = stackalloc char[IpAddress128.MaxTextLength];
        Span<char> origMac = stackalloc char[MacLength], respMac = stackalloc char[MacLength];
        Span<char> communityId = stackalloc char[CommunityId.TextLength];
        CommunityId.Write(f, communityId);
        _row.Clear();
        _row.Set("ts", f.FirstTs)
            .Set("flow_uid", f.Uid)
            .SetText("orig_h", orig[..f.OrigAddress.Format(orig, v4)])
            .Set("orig_p", icmp ? f.IcmpType : ports ? f.OrigPort : null)
            .SetText("resp_h", resp[..f.RespAddress.Format(resp, v4)])
            .Set("resp_p", icmp ? CommunityId.IcmpPorts(f.IpVersion, f.IcmpType, f.IcmpCode).Destination : ports ? f.RespPort : null)
            .Set("proto", f.Proto)
            .Set("service", f.Service)
            .Set("duration", duration / 1e9)
            .Set("duration_ns", duration)
            .Set("orig_bytes", f.OrigBytes)
            .Set("resp_bytes", f.RespBytes)
            .Set("conn_state", f.ConnState)
            .Set("missed_bytes", f.MissedBytes)
            .Set("history", f.OrigTcp is null ? null : f.History.ToString())
            .Set("orig_pkts", f.Orig.Packets)
            .Set("orig_ip_bytes", f.Orig.IpBytes)
            .Set("resp_pkts", f.Resp.Packets)
            .Set("resp_ip_bytes", f.Resp.IpBytes)
            .Set("orig_frame_bytes", f.Orig.FrameBytes)
            .Set("resp_frame_bytes", f.Resp.FrameBytes)
            .Set("tunnel_parents", f.TunnelParent is null ? null : new[] { f.TunnelParent })
            .SetMac("orig_l2_addr", f.Orig.L2Address, origMac)
            .SetMac("resp_l2_addr", f.Resp.L2Address, respMac)
            .Set("vlan", f.Key.Vlan >= 0 ? f.Key.Vlan : null)
            .Set("inner_vlan", f.Key.InnerVlan >= 0 ? f.Key.InnerVlan : null)
            .SetText("community_id", communityId)
            .Set("last_ts", f.LastTs)
            .Set("ip_version", f.IpVersion)
            .Set("ip_proto", f.Key.Protocol)
            .Set("start_seen", f.StartSeen)
            .Set("handshake_rtt", f.HandshakeRtt)
            .Set("first_frame", f.FirstFrame)
            .Set("last_frame", f.LastFrame)
            .Set("end_reason", EndReason(f.EndReason))
            .Set("capture_id", f.CaptureId);
        if (f.OrigTcp is { } o && f.RespTcp is { } r)
        {
            _row.Set("orig_retrans_pkts", o.RetransmittedPackets)
                .Set("orig_retrans_bytes", o.RetransmittedBytes)
                .Set("resp_retrans_pkts", r.RetransmittedPackets)
                .Set("resp_retrans_bytes", r.RetransmittedBytes)
                .Set("orig_ooo_pkts", o.OutOfOrderPackets)
                .Set("resp_ooo_pkts", r.OutOfOrderPackets)
                .Set("orig_zero_windows", o.ZeroWindows)
                .Set("resp_zero_windows", r.ZeroWindows);
        }

        return _row.Row;
    }

    public static string EndReason(FlowEndReason reason) => reason switch
    {
        FlowEndReason.Fin => "fin",
        FlowEndReason.Reset => "rst",
        FlowEndReason.Timeout => "timeout",
        FlowEndReason.Reopened => "reopened",
        _ => "end_of_input",
    };

    /// <summary>Length of a MAC address's text.</summary>
    public const int MacLength = 17;

    /// <summary>
    /// Writes a MAC address's text as Zeek and tshark print it (lower-case hex, colons; <see cref="MacLength"/>
    /// characters) into <paramref name="destination"/>.
    /// </summary>
    public static void FormatMac(ulong mac, Span<char> destination)
    {
        const string hex = "0123456789abcdef";
        for (int i = 0; i < 6; i++)
        {
            int b = (int)(mac >> (40 - 8 * i)) & 0xFF;
            destination[i * 3] = hex[b >> 4];
            destination[i * 3 + 1] = hex[b & 0xF];
            if (i < 5)
                destination[i * 3 + 2] = ':';
        }
    }
}

internal static class RowBuilderText
{
    /// <summary>A MAC address column: its text formatted into <paramref name="buffer"/>, or null when unknown (0).</summary>
    public static RowBuilder SetMac(this RowBuilder row, string column, ulong mac, Span<char> buffer)
    {
        if (mac == 0)
            return row.Set(column, (string?)null);
        FlowRows.FormatMac(mac, buffer);
        return row.SetText(column, buffer[..FlowRows.MacLength]);
    }
}
