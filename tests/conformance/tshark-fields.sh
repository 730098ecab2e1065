#!/usr/bin/env bash
# tshark-fields.sh - regenerate the tshark reference files of TsharkFieldConformanceTests.
#
# For every capture of the repository's testdata/ and of the public corpus ../shared/pcaps/ (compressed copies,
# *.gz and *.zst, are skipped: they are byte-identical duplicates of a capture that is there uncompressed), runs
#
#   tshark -r FILE -T fields -E header=y -E occurrence=a -E aggregator=, -E separator=/t
#          -o tcp.desegment_tcp_streams:FALSE -o ip.defragment:TRUE -o ipv6.defragment:TRUE [-d RULE]
#          -e frame.number -e eth.src -e eth.dst -e vlan.id -e ip.src -e ip.dst -e ip.proto -e ipv6.src -e ipv6.dst
#          -e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.seq_raw -e udp.srcport -e udp.dstport -e icmp.type
#          -e frame.protocols
#
# and writes tests/PcapForge.Dissection.Tests/Conformance/{testdata,shared}/<capture file name>.fields.tsv.gz
# (gzip -n -9: no name or time stamp, so the same tshark output gives the same bytes). Each file starts with
#   # tshark <version line>; command: <the command, run in the capture's folder>
# and, when tshark stopped with an error (damaged or unsupported captures), a second line
#   # tshark exit status N: <its error message>
# then tshark's own output (header line, one line per frame).
#
# Choices that keep tshark's per-frame fields comparable with a per-frame dissector:
# - TCP desegmentation is off (stream reassembly belongs to the flow engine, not to per-frame fields).
# - IPv4/IPv6 defragmentation is on, tshark's default and what the engine does: a reassembled datagram's inner
#   headers (e.g. the UDP ports of a fragmented datagram) are in the frame that completes it.
# - No other preference is set, and tshark runs with an empty, private configuration folder (HOME and
#   XDG_CONFIG_HOME point to a temporary folder), so no personal profile (decode-as, disabled protocols,
#   "try heuristic sub-dissectors first", "assume packets have FCS"...) can change the output. Defaults are used
#   for everything else: the heuristic-first preferences are off by default, and the listed fields are all
#   transport-level or below, which no TCP/UDP payload heuristic changes.
# - The decode-as rules that ../shared/pcaps/SOURCES.md gives (`tcp.port==8000,http` for
#   http-post-nonstandard-port-8000.pcap, `tcp.port==80,ssh` for ssh-on-port-80.pcap) are passed too, as in its
#   expected/ files. They change only what is above TCP, so none of the compared fields.
# - frame.protocols (last column) is not compared: the test uses it to find the frames a known divergence applies
#   to (e.g. "every frame whose tshark protocol path has icmp").
# - TZ=UTC LC_ALL=C (nothing compared depends on them, but the runs are then identical on any machine).
#
# Usage: tests/conformance/tshark-fields.sh [SHARED_PCAPS_DIR]   (default: ../shared/pcaps beside the repository,
#        or $PCAPFORGE_SHARED_PCAPS). Needs tshark and gzip. Prints each file written and the total size.
set -euo pipefail

# shellcheck source=tshark-reference.sh
. "$(dirname "${BASH_SOURCE[0]}")/tshark-reference.sh"
reference_setup "${1:-}"
out=$root/tests/PcapForge.Dissection.Tests/Conformance

fields=(frame.number eth.src eth.dst vlan.id ip.src ip.dst ip.proto ipv6.src ipv6.dst tcp.srcport tcp.dstport
        tcp.flags tcp.seq_raw udp.srcport udp.dstport icmp.type frame.protocols)
options=(-T fields -E header=y -E occurrence=a -E aggregator=, -E separator=/t
         -o tcp.desegment_tcp_streams:FALSE -o ip.defragment:TRUE -o ipv6.defragment:TRUE)
for f in "${fields[@]}"; do options+=(-e "$f"); done

# Decode-as rules of ../shared/pcaps/SOURCES.md ("decode-as" column).
decode_as() {
    case "$1" in
        http-post-nonstandard-port-8000.pcap) echo 'tcp.port==8000,http' ;;
        ssh-on-port-80.pcap) echo 'tcp.port==80,ssh' ;;
    esac
}

# generate SOURCE_DIR TARGET_SUBFOLDER
generate() {
    local dir=$1 target=$out/$2
    mkdir -p "$target"
    rm -f "$target"/*.fields.tsv.gz
    local name rule
    for name in $(reference_captures "$dir"); do
        local cmd=(tshark -r "$name" "${options[@]}")
        rule=$(decode_as "$name")
        [ -n "$rule" ] && cmd+=(-d "$rule")
        {
            reference_run "$dir" "${cmd[@]}"
            cat "$cfg/out"
        } | gzip -n -9 >"$target/$name.fields.tsv.gz"
        echo "$2/$name.fields.tsv.gz"
    done
}

reference_folders generate '*.fields.tsv.gz'
