using PcapForge.Abstractions.Records;

namespace PcapForge.Output;

/// <summary>
/// The tables the host writes. Column names are Zeek's log field names where Zeek has the field (conn.log for
/// <c>flows</c>), flattened; the others are snake_case. Every table joins <c>captures</c> on <c>capture_id</c>, and
/// every table of an analysis joins <c>flows</c> on <c>flow_uid</c>; <c>sockets</c> joins <c>flows</c> on the endpoints
/// (<c>orig_h</c>, <c>orig_p</c>, <c>resp_h</c>, <c>resp_p</c>, <c>proto</c>), and <c>scan</c> on the service
/// (<c>host</c> = <c>resp_h</c>, <c>port</c> = <c>resp_p</c>, <c>proto</c>).
/// </summary>
public static class HostTables
{
    /// <summary>The column every table of a dataset has: the input a row comes from.</summary>
    public const string CaptureIdColumn = "capture_id";

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
        C("capture_id", ColumnType.String, "Identifier of the input: for a file a hash of its size and first and last bytes, the same on every run; for a live capture a hash of the host, the interfaces and the start time; for a socket snapshot a hash of the host name and the snapshot time; for a scan a hash of the host name, the targets and the start time"),
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

    public static readonly RecordTableDescriptor Sockets = new("sockets", "One row per TCP or UDP socket of the machine at a snapshot (pcapforge sockets, from /proc/net)",
    [
        C("ts", ColumnType.Timestamp, "Time of the snapshot the socket was seen in"),
        C("orig_h", ColumnType.String, "Originator's address as in flows: the remote address when the socket was accepted (local_role responder), else the local one; null for a listener"),
        C("orig_p", ColumnType.Int32, "Originator's port as in flows; null for a listener"),
        C("resp_h", ColumnType.String, "Responder's address as in flows: the local address of a listener or an accepted socket, else the remote one"),
        C("resp_p", ColumnType.Int32, "Responder's port as in flows"),
        C("proto", ColumnType.String, "Transport protocol as in flows: tcp or udp"),
        C("ip_version", ColumnType.Int32, "IP version of the socket's traffic: 4 for IPv4 and for IPv4-mapped addresses on an IPv6 socket, 6 otherwise"),
        C("local_h", ColumnType.String, "Local address (IPv4-mapped IPv6 addresses as IPv4; 0.0.0.0 or :: when bound to every address)"),
        C("local_p", ColumnType.Int32, "Local port"),
        C("remote_h", ColumnType.String, "Peer's address; null when the socket has no peer (a listener, an unconnected UDP socket)"),
        C("remote_p", ColumnType.Int32, "Peer's port; null when the socket has no peer"),
        C("local_role", ColumnType.String, "listener (TCP LISTEN, UDP without a peer), responder (a connection on a listening port: accepted here), originator (any other connection: opened from here)"),
        C("netstat_proto", ColumnType.String, "netstat's Proto: tcp, tcp6, udp, udp6 (tcp6 and udp6 are IPv6 sockets, which may carry IPv4)"),
        C("state", ColumnType.String, "State as netstat names it: ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING; for UDP ESTABLISHED when connected, null when not (netstat leaves it blank)"),
        C("kernel_state", ColumnType.Int32, "The kernel's state number (st in /proc/net/tcp, include/net/tcp_states.h)"),
        C("recv_q", ColumnType.Int64, "netstat's Recv-Q: for a TCP listener the connections waiting to be accepted, for another TCP socket the bytes not yet read, for UDP the receive buffer in use"),
        C("send_q", ColumnType.Int64, "netstat's Send-Q: for TCP the bytes not yet acknowledged by the peer (0 for a listener), for UDP the send buffer in use"),
        C("uid", ColumnType.Int64, "Owner's user id"),
        C("user", ColumnType.String, "Owner's user name from /etc/passwd; null when it has none"),
        C("inode", ColumnType.Int64, "Socket inode (links /proc/PID/fd/N to the socket); 0 for TIME_WAIT and pending SYN_RECV entries, which have no socket"),
        C("pid", ColumnType.Int32, "Process holding the socket (the lowest PID when several share it); null when none or not readable without root"),
        C("program", ColumnType.String, "The program as netstat -p names it: the first word of the command line, without its directory"),
        C("command", ColumnType.String, "The process's whole command line, its arguments joined by spaces"),
        C("capture_id", ColumnType.String, "The snapshot; joins captures (source = sockets)"),
    ]);

    public static readonly RecordTableDescriptor Scan = new("scan", "One row per port of a TCP connect scan (pcapforge scan), with what service detection found (-sV)",
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
        C("tunnel", ColumnType.String, "ssl when the service was found inside TLS (nmap's ssl/http); null in the clear"),
        C("tls_version", ColumnType.String, "The TLS version the probe negotiated (TLSv1.3, TLSv1.2)"),
        C("tls_cipher", ColumnType.String, "The cipher suite negotiated, by its IANA name (TLS_AES_256_GCM_SHA384)"),
        C("cert_subject", ColumnType.String, "The subject of the server's certificate (CN=www.example.org), accepted whatever it is: the scan identifies, it does not trust"),
        C("cert_issuer", ColumnType.String, "The issuer of the server's certificate (the subject again when it signed itself)"),
        C("cert_not_after", ColumnType.Timestamp, "When the server's certificate expires"),
        C("cert_sha256", ColumnType.String, "SHA-256 of the server's certificate (DER), lower-case hex: the fingerprint openssl x509 -fingerprint -sha256 shows"),
        C("connect_time", ColumnType.Double, "Seconds connect() took to succeed or be refused, by the wall clock; null for a filtered port"),
        C("rtt", ColumnType.Double, "Seconds of the handshake's round trip as the kernel measured it (TCP_INFO tcpi_rtt, Linux); open ports only"),
        C("capture_id", ColumnType.String, "The scan; joins captures (source = scan)"),
    ]);

    /// <summary>The tables of <c>analyze</c> (and of a live capture).</summary>
    public static IReadOnlyList<RecordTableDescriptor> All { get; } = [Flows, Packets, Anomalies, Captures];

    /// <summary>The tables that only a frontend writes (with <see cref="Captures"/>): <c>sockets</c>, <c>scan</c>.</summary>
    public static IReadOnlyList<RecordTableDescriptor> Frontends { get; } = [Sockets, Scan];
}
