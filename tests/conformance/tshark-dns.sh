#!/usr/bin/env bash
# tshark-dns.sh - regenerate the tshark DNS references of the DNS plugin's conformance test for the captures of
# testdata/ (the public corpus has its own, ../shared/pcaps/expected/*.dns.txt, made with the same fields).
#
# For every capture of testdata/ in which the display filter "dns" matches a frame, runs
#
#   tshark -r FILE -Y dns -T fields -E header=y -E occurrence=a -E aggregator=,
#          -e frame.number -e ip.src -e ipv6.src -e udp.srcport -e tcp.srcport -e dns.id -e dns.flags.response
#          -e dns.flags.rcode -e dns.qry.name -e dns.qry.type -e dns.count.answers -e dns.a -e dns.aaaa
#
# (the command of ../shared/pcaps/SOURCES.md for <cap>.dns.txt, plus the A and AAAA answers) and writes
# tests/PcapForge.Dissectors.Dns.Tests/Conformance/testdata/<capture file name>.dns.txt, starting with
#   # tshark <version line>; command: <the command, run in the capture's folder>
#
# Usage: tests/conformance/tshark-dns.sh. Needs tshark.
set -euo pipefail

# shellcheck source=tshark-reference.sh
. "$(dirname "${BASH_SOURCE[0]}")/tshark-reference.sh"
reference_setup ""
out=$root/tests/PcapForge.Dissectors.Dns.Tests/Conformance/testdata
mkdir -p "$out"
rm -f "$out"/*.dns.txt

options=(-Y dns -T fields -E header=y -E occurrence=a -E aggregator=,)
for f in frame.number ip.src ipv6.src udp.srcport tcp.srcport dns.id dns.flags.response dns.flags.rcode \
         dns.qry.name dns.qry.type dns.count.answers dns.a dns.aaaa; do
    options+=(-e "$f")
done

for name in $(reference_captures "$root/testdata"); do
    header=$(reference_run "$root/testdata" tshark -r "$name" "${options[@]}")
    # Only captures where the filter matched: the header line is always there.
    if [ "$(wc -l <"$cfg/out")" -gt 1 ]; then
        { echo "$header"; cat "$cfg/out"; } >"$out/$name.dns.txt"
        echo "testdata/$name.dns.txt"
    fi
done
echo "tshark: $version"
