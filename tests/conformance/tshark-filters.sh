#!/usr/bin/env bash
# Regenerates tests/PcapForge.Dissection.Tests/Conformance/filters.tsv: for each display filter below and each
# capture, the frame numbers tshark -Y matches. DisplayFilterConformanceTests compares PcapForge's -Y with them.
# Needs tshark (Debian package tshark). TCP reassembly and IP defragmentation are off so that tshark, like the
# per-frame engine, looks at each frame alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tests/PcapForge.Dissection.Tests/Conformance/filters.tsv
captures=(testdata/http-keepalive-veth.pcap testdata/http-ipv6-nsec.pcap testdata/mixed-2ifaces.pcapng testdata/ssh-session.pcapng testdata/smtp-starttls.pcap)
filters=(
  'tcp'
  'udp'
  'ip'
  'ipv6'
  '!tcp'
  'tcp.port == 80'
  '!tcp.port == 80'
  'tcp.port != 80'
  'tcp.flags.syn == 1'
  'tcp.flags.syn == 1 && tcp.flags.ack == 0'
  'tcp.flags & 0x12'
  'tcp.flags == 0x018'
  'ip.addr == 10.203.0.1'
  'ip.addr == 10.203.0.0/24 && tcp'
  'ip.src == 10.203.0.2'
  'ip.dst != 10.203.0.2'
  'ipv6.addr == fd00:203::1'
  'ipv6.src == fd00:203::/64'
  'eth.addr == 02:00:0a:cb:00:01'
  'eth.dst == ff:ff:ff:ff:ff:ff'
  'tcp.len > 0'
  'tcp.len >= 1000'
  'tcp.srcport in {80, 8080}'
  'tcp.dstport in {1..1024}'
  'udp.port == 53'
  'ip.ttl < 64'
  'ip.proto == 1 or ip.proto == 17'
  '(tcp.port == 80 || udp.port == 53) && ip'
  'not (tcp or udp)'
  'tcp contains "GET"'
  'tcp contains "HTTP/1.1 200"'
  'ip.len > 100 and ip.len < 500'
  'tcp.window_size_value < 100'
  'udp.length > 40'
  'tcp matches "User-Agent: curl/[0-9.]+"'
  'eth.type == 0x86dd'
  'tcp.options.mss_val == 1460'
  'tcp.options.sack_perm'
  'ip.flags.df == 0'
  'tcp.port in {22, 25, 8080} && !(ip.src == 10.203.0.1)'
  'frame.len > 1000 && frame.number < 30'
  'frame.len >= 60 and frame.len <= 74 and !arp'
  'eth.src[0:3] == 02:00:0a'
  'tcp[13] == 0x12'
  'ip.src[3] == 2'
  'eth.dst[-1:] == 01'
  'tcp[32:3] == "GET"'
)
{
  echo "# $(tshark --version 2>/dev/null | head -1); tshark -r CAPTURE -Y FILTER -o tcp.desegment_tcp_streams:FALSE -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields -e frame.number"
  echo "# capture	filter	matching frame numbers"
  for c in "${captures[@]}"; do
    for f in "${filters[@]}"; do
      if ! result=$(tshark -r "$c" -Y "$f" -o tcp.desegment_tcp_streams:FALSE -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields -e frame.number 2>&1 >/dev/null | grep -v '^Running as'; exit "${PIPESTATUS[0]}"); then
        echo "tshark rejected filter '$f' on $c: $result" >&2
        exit 1
      fi
      frames=$(tshark -r "$c" -Y "$f" -o tcp.desegment_tcp_streams:FALSE -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields -e frame.number 2>/dev/null | paste -sd, -)
      printf '%s\t%s\t%s\n' "$(basename "$c")" "$f" "$frames"
    done
  done
} > "$out"
echo "wrote $out ($(grep -vc '^#' "$out") rows)"
