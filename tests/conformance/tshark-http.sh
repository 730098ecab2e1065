#!/usr/bin/env bash
# tshark-http.sh - regenerate the tshark HTTP references of the HTTP dissector's conformance test for testdata/.
#
# The public corpus ../shared/pcaps/ carries its own references (expected/<capture>.http-requests.txt and
# .http-responses.txt, see its SOURCES.md); this script makes the same two files, with the same tshark commands, for
# the repository's own captures (testdata/*.pcap, *.pcapng; the compressed copies are byte-identical duplicates),
# into tests/PcapForge.Dissectors.Http.Tests/Conformance/testdata/:
#
#   tshark -r FILE -Y http.request -T fields -E header=y -E occurrence=a -E aggregator=, -e frame.number -e ip.src
#     -e ipv6.src -e tcp.srcport -e tcp.dstport -e tcp.stream -e http.request.method -e http.host
#     -e http.request.uri -e http.request.version -e http.user_agent                      > <capture>.http-requests.txt
#   tshark -r FILE -Y http.response -T fields (same options) -e frame.number -e ip.src -e ipv6.src -e tcp.srcport
#     -e tcp.stream -e http.response.version -e http.response.code -e http.server -e http.content_type
#     -e http.content_length_header -e http.transfer_encoding                             > <capture>.http-responses.txt
#
# Each file starts with tshark-reference.sh's "# <tshark version>; command: ..." line. A capture where tshark finds
# no HTTP gets no files, as in the public corpus. HTTP on a port tshark does not know (python's 8000/8080/8081 are
# known to it) gets a decode-as, as ../shared/pcaps/SOURCES.md does for the public corpus: nginx on 8888 of
# record.sh section [9].
#
# Usage: tests/conformance/tshark-http.sh   Needs tshark. Prints each file written.
set -euo pipefail

# shellcheck source=tshark-reference.sh
. "$(dirname "${BASH_SOURCE[0]}")/tshark-reference.sh"
reference_setup
out=$root/tests/PcapForge.Dissectors.Http.Tests/Conformance/testdata
fields=(-T fields -E header=y -E occurrence=a -E aggregator=,)
requests=(-e frame.number -e ip.src -e ipv6.src -e tcp.srcport -e tcp.dstport -e tcp.stream -e http.request.method
    -e http.host -e http.request.uri -e http.request.version -e http.user_agent)
responses=(-e frame.number -e ip.src -e ipv6.src -e tcp.srcport -e tcp.stream -e http.response.version -e http.response.code
    -e http.server -e http.content_type -e http.content_length_header -e http.transfer_encoding)

mkdir -p "$out"
rm -f "$out"/*.http-requests.txt "$out"/*.http-responses.txt
decode_as() {
    case "$1" in
        http-nginx-port8888-wget.pcap) echo 'tcp.port==8888,http' ;;
    esac
}

for f in $(reference_captures "$root/testdata"); do
    rule=$(decode_as "$f")
    for kind in requests responses; do
        if [ $kind = requests ]; then filter=http.request; set -- "${requests[@]}"; else filter=http.response; set -- "${responses[@]}"; fi
        [ -n "$rule" ] && set -- "$@" -d "$rule"
        reference_run "$root/testdata" tshark -r "$f" -Y $filter "${fields[@]}" "$@" >"$cfg/head"
        # Only the header line of the fields: no HTTP of this kind.
        [ "$(wc -l <"$cfg/out")" -gt 1 ] || continue
        cat "$cfg/head" "$cfg/out" >"$out/$f.http-$kind.txt"
        echo "testdata/$f.http-$kind.txt ($(($(wc -l <"$cfg/out") - 1)) rows)"
    done
done
echo "tshark: $version"
