using PcapForge.Abstractions.Records;

namespace PcapForge.Output;

/// <summary>
/// The tables the host writes. Column names are Zeek's log field names where Zeek has the field (conn.log for
/// <c>flows</c>), flattened; the others are snake_case. Every table joins <c>flows</c> on <c>flow_uid</c> and
/// <c>captures</c> on <c>capture_id</c>.
/// </summary>
public static class HostTables
{
    private static ColumnDescriptor C(string name, ColumnType type, string description) => new(name, type, description);

    public static readonly RecordTableDescriptor Flows = new("flows", "One row per bidirectional flow (Zeek's conn.log)",
    [
        C("ts", ColumnType.Timestamp, "Time of the flow's first packet"),
        C("flow_uid", ColumnType.String, "Identifier of the flow, the same on every run over the same input; joins every other table"),
        C("orig_h", ColumnType.String, "Originator's IP address (the side that sent the first SYN, else the first packet)"),
        C("orig_p", ColumnType.Int32, "Originator's port; for ICMP the message type, as in Zeek"),
        C("resp_h", ColumnType.String, "Responder's IP address"),
        C("resp_p", ColumnType.Int32, "Responder's port; for ICMP the type answering the originator's (echo reply 0 for request 8, 129 for 128) or, for one-way messages, the code, as in Zeek"),
        C("proto", ColumnType.String, "Transport protocol: tcp, udp, icmp, or unknown_transport"),
        C("service", ColumnType.String, "Application protocol an application dissector confirmed (http, ssh, smtp, dns); null when none did"),
        C("duration", ColumnType.Double, "last_ts − ts in seconds, as in Zeek"),
        C("duration_ns", ColumnType.Int64, "last_ts − ts in nanoseconds"),
        C("orig_bytes", ColumnType.Int64, "Payload bytes the originator sent (TCP: from sequence numbers, so retransmissions count once)"),
        C("resp_bytes", ColumnType.Int64, "Payload bytes the responder sent"),
        C("conn_state", ColumnType.String, "Zeek's connection state: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH"),
        C("missed_bytes", ColumnType.Int64, "Bytes of TCP payload the capture lost (gaps in the sequence space)"),
        C("history", ColumnType.String, "Zeek's history letters (originator upper case): S syn, H syn-ack, A ack, D data, F fin, R rst, C bad checksum, G gap, T retransmission, W zero window, I inconsistent flags, Q multi-flag, ^ direction flipped"),
        C("orig_pkts", ColumnType.Int64, "Packets the originator sent"),
        C("orig_ip_bytes", ColumnType.Int64, "IP bytes the originator sent (IP total length, headers included)"),
        C("resp_pkts", ColumnType.Int64, "Packets the responder sent"),
        C("resp_ip_bytes", ColumnType.Int64, "IP bytes the responder sent"),
        C("orig_frame_bytes", ColumnType.Int64, "Frame bytes (on the wire) the originator sent, as tshark's conversation table and Argus count them"),
        C("resp_frame_bytes", ColumnType.Int64, "Frame bytes (on the wire) the responder sent"),
        C("tunnel_parents", ColumnType.StringList, "flow_uid of the tunnel flow (GRE, VXLAN, IP-in-IP…) this flow was carried in"),
        C("orig_l2_addr", ColumnType.String, "Originator's MAC address (outermost Ethernet header)"),
        C("resp_l2_addr", ColumnType.String, "Responder's MAC address"),
        C("vlan", ColumnType.Int32, "Outer VLAN id, when tagged"),
        C("inner_vlan", ColumnType.Int32, "Inner VLAN id (802.1ad QinQ)"),
        C("community_id", ColumnType.String, "Community ID v1 flow hash (seed 0), as Zeek, Suricata and Arkime compute it"),
        C("last_ts", ColumnType.Timestamp, "Time of the flow's last packet"),
        C("ip_version", ColumnType.Int32, "4 or 6"),
        C("ip_proto", ColumnType.Int32, "IP protocol number"),
        C("start_seen", ColumnType.Boolean, "True when the capture holds the flow's start (a SYN without ACK for TCP; always for other protocols)"),
        C("handshake_rtt", ColumnType.Double, "Seconds from the originator's SYN to its ACK of the SYN-ACK (TCP, when the whole handshake was seen)"),
        C("orig_retrans_pkts", ColumnType.Int64, "Originator's segments that resent sequence space already seen"),
        C("orig_retrans_bytes", ColumnType.Int64, "Bytes in the originator's retransmitted segments"),
        C("resp_retrans_pkts", ColumnType.Int64, "Responder's retransmitted segments"),
        C("resp_retrans_bytes", ColumnType.Int64, "Bytes in the responder's retransmitted segments"),
        C("orig_ooo_pkts", ColumnType.Int64, "Originator's segments that arrived before earlier sequence space (out of order)"),
        C("resp_ooo_pkts", ColumnType.Int64, "Responder's out-of-order segments"),
        C("orig_zero_windows", ColumnType.Int64, "Originator's segments advertising a zero window"),
        C("resp_zero_windows", ColumnType.Int64, "Responder's segments advertising a zero window"),
        C("first_frame", ColumnType.Int64, "Number of the flow's first frame in its capture"),
        C("last_frame", ColumnType.Int64, "Number of the flow's last frame"),
        C("end_reason", ColumnType.String, "Why the flow record was closed: fin, rst, timeout, reopened (a new SYN on the closed 4-tuple), end_of_input"),
        C("capture_id", ColumnType.String, "The capture the flow comes from; joins captures"),
    ]);

    public static readonly RecordTableDescriptor Packets = new("packets", "One row per frame with its L2–L4 fields (opt-in: analyze --packets)",
    [
        C("ts", ColumnType.Timestamp, "Capture time of the frame"),
        C("frame", ColumnType.Int64, "1-based number of the frame in its capture"),
        C("flow_uid", ColumnType.String, "The flow the frame belongs to; null for frames that are in no flow (ARP, non-IP)"),
        C("is_orig", ColumnType.Boolean, "True when the frame was sent by the flow's originator"),
        C("interface_id", ColumnType.Int32, "Index of the capture interface"),
        C("len", ColumnType.Int32, "Length of the frame on the wire"),
        C("caplen", ColumnType.Int32, "Bytes of the frame in the capture"),
        C("protocols", ColumnType.String, "The frame's layers, as tshark's frame.protocols (eth:ethertype:ip:tcp)"),
        C("eth_src", ColumnType.String, "Source MAC address"),
        C("eth_dst", ColumnType.String, "Destination MAC address"),
        C("vlan", ColumnType.Int32, "Outer VLAN id"),
        C("ip_version", ColumnType.Int32, "4 or 6"),
        C("src_h", ColumnType.String, "Source IP address"),
        C("dst_h", ColumnType.String, "Destination IP address"),
        C("ip_proto", ColumnType.Int32, "IP protocol number"),
        C("ttl", ColumnType.Int32, "IPv4 TTL or IPv6 hop limit"),
        C("ip_len", ColumnType.Int32, "IP total length (IPv4) or header plus payload length (IPv6)"),
        C("src_p", ColumnType.Int32, "Source port (TCP, UDP)"),
        C("dst_p", ColumnType.Int32, "Destination port (TCP, UDP)"),
        C("tcp_flags", ColumnType.Int32, "The 12 TCP flag bits (tcp.flags)"),
        C("tcp_seq", ColumnType.Int64, "TCP sequence number as sent"),
        C("tcp_ack", ColumnType.Int64, "TCP acknowledgment number as sent"),
        C("tcp_window", ColumnType.Int32, "TCP window field as sent"),
        C("payload_len", ColumnType.Int32, "Transport payload length (TCP segment length, UDP payload)"),
        C("icmp_type", ColumnType.Int32, "ICMP or ICMPv6 type"),
        C("icmp_code", ColumnType.Int32, "ICMP or ICMPv6 code"),
        C("capture_id", ColumnType.String, "The capture the frame comes from"),
    ]);

    public static readonly RecordTableDescriptor Anomalies = new("anomalies", "Damage and oddities found in the input: one row per occurrence",
    [
        C("ts", ColumnType.Timestamp, "Time of the frame, when the anomaly is about one"),
        C("frame", ColumnType.Int64, "Number of the frame, when the anomaly is about one"),
        C("flow_uid", ColumnType.String, "The flow, when the anomaly is about one"),
        C("scope", ColumnType.String, "What it concerns: file, frame, flow, stream"),
        C("name", ColumnType.String, "Stable name (protocol.what, e.g. tcp.hdr_len_invalid); pcapforge schema lists them"),
        C("detail", ColumnType.String, "What exactly was seen"),
        C("file_offset", ColumnType.Int64, "Byte offset in the input file"),
        C("capture_id", ColumnType.String, "The capture it was found in"),
    ]);

    public static readonly RecordTableDescriptor Captures = new("captures", "One row per input of the run (a capture file, a live capture, a socket listing or a scan)",
    [
        C("capture_id", ColumnType.String, "Identifier of the input: for a file a hash of its size and first and last bytes, the same on every run; for a live capture a hash of the host, the interfaces and the start time"),
        C("source", ColumnType.String, "file, capture, sockets or scan"),
        C("path", ColumnType.String, "Path of the input as given; for a live capture the interfaces it captured on"),
        C("size", ColumnType.Int64, "Size of the input file in bytes; for a live capture the bytes of its pcapng stream (the size of its -w file)"),
        C("sha256", ColumnType.String, "SHA-256 of the input file, hex; for a live capture of its pcapng stream (the hash of its -w file)"),
        C("format", ColumnType.String, "pcap, pcapng; with the compression (gzip, zstd) when compressed"),
        C("interfaces", ColumnType.StringList, "Capture interfaces: name and link type"),
        C("frames", ColumnType.Int64, "Frames read"),
        C("bytes", ColumnType.Int64, "Captured bytes of those frames"),
        C("first_ts", ColumnType.Timestamp, "Time of the first frame"),
        C("last_ts", ColumnType.Timestamp, "Time of the last frame"),
        C("flows", ColumnType.Int64, "Flows written"),
        C("anomalies", ColumnType.Int64, "Anomalies written"),
        C("host", ColumnType.String, "Host name of the machine that ran pcapforge"),
        C("tool_version", ColumnType.String, "pcapforge version"),
        C("plugins", ColumnType.StringList, "Dissector plugins loaded: protocol id and assembly version"),
        C("options", ColumnType.String, "Command-line options of the run"),
        C("run_start", ColumnType.Timestamp, "When the run started"),
        C("run_end", ColumnType.Timestamp, "When the run ended"),
    ]);

    public static IReadOnlyList<RecordTableDescriptor> All { get; } = [Flows, Packets, Anomalies, Captures];
}
