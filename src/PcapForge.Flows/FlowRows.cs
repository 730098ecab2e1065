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
        _row.Clear();
        _row.Set("ts", f.FirstTs)
            .Set("flow_uid", f.Uid)
            .Set("orig_h", f.OrigAddress.ToText(v4))
            .Set("orig_p", icmp ? f.IcmpType : ports ? f.OrigPort : null)
            .Set("resp_h", f.RespAddress.ToText(v4))
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
            .Set("orig_l2_addr", Mac(f.Orig.L2Address))
            .Set("resp_l2_addr", Mac(f.Resp.L2Address))
            .Set("vlan", f.Key.Vlan >= 0 ? f.Key.Vlan : null)
            .Set("inner_vlan", f.Key.InnerVlan >= 0 ? f.Key.InnerVlan : null)
            .Set("community_id", CommunityId.Of(f))
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

    /// <summary>A MAC address as Zeek and tshark print it (lower-case hex, colons); null when unknown.</summary>
    public static string? Mac(ulong mac) => mac == 0 ? null : string.Create(17, mac, static (span, m) =>
    {
        const string hex = "0123456789abcdef";
        for (int i = 0; i < 6; i++)
        {
            int b = (int)(m >> (40 - 8 * i)) & 0xFF;
            span[i * 3] = hex[b >> 4];
            span[i * 3 + 1] = hex[b & 0xF];
            if (i < 5)
                span[i * 3 + 2] = ':';
        }
    });
}
