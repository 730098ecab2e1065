#!/usr/bin/env bash
# tshark-conv.sh - regenerate the tshark conversation references of the flow engine's conformance test.
#
# For every capture of the repository's testdata/ and of the public corpus ../shared/pcaps/ (*.pcap and *.pcapng;
# the compressed copies, *.gz and *.zst, are byte-identical duplicates and are skipped), runs, in the capture's
# folder,
#
#   tshark -n -q -r FILE -o ip.defragment:TRUE -z conv,tcp -z conv,udp
#
# and writes tests/PcapForge.Flows.Tests/Conformance/{testdata,shared}/<capture file name>.conv.tsv, or
# .conv.tsv.gz (gzip -n -9, so the same output gives the same bytes) when the text is over 8 KiB. Format:
#
#   # tshark <version line>; command: <the command, run in the capture's folder>
#   # tshark exit status N: <its error message>              (only when tshark stopped with an error)
#   # tables: udp tcp                                        (the tables tshark printed, in its order, or "none")
#   # proto addr_a port_a addr_b port_b frames_a_to_b bytes_a_to_b frames_b_to_a bytes_b_to_a rel_start duration
#   tcp<TAB>10.0.0.1<TAB>40000<TAB>10.0.0.2<TAB>80<TAB>6<TAB>1575<TAB>4<TAB>1005<TAB>1.758770000<TAB>0.2185
#   ...one line per conversation, sorted (LC_ALL=C sort), so the order of tshark's table (by total frames,
#   descending) does not matter.
#
# What tshark 4.0.17 prints, as verified on a hand-made capture whose directions and frame lengths were known
# (UDP and TCP, client-first and server-first, IPv4 and IPv6, frames of 60 to 1514 bytes, 1 to 6700 frames, frames
# cut short by the snap length, a TCP 4-tuple used by two connections one after the other):
#
#   10.0.0.1:5000              <-> 10.0.0.2:53                      2 500 bytes       1 100 bytes       3 600 bytes     0.000000000         1.0000
#   A (addr:port)                  B (addr:port)                    <- frames, bytes  -> frames, bytes  total            relative start     duration
#
# - A is the source of the conversation's first frame, whatever the ports: a server that speaks first (UDP
#   10.0.0.9:53 -> 10.0.0.3:6000, or a TCP capture that starts mid-stream with the server's segment) is A.
#   Wireshark's "address A" is not the lower port, the higher port or the lower address.
# - The "->" columns count frames sent by A to B, the "<-" columns frames sent by B to A (a 1-frame query from A
#   and 2 answers from B print "2 500 bytes  1 100 bytes"). The script swaps them into a_to_b, b_to_a order.
# - Bytes are whole frame lengths as on the wire (frame.len: 1000-byte frames captured at 100 bytes count 1000),
#   Ethernet header and padding included, not payload.
# - Byte counts of 10,000 or more are printed with an SI prefix, rounded down: 10,598 bytes print "10 kB",
#   1,221,798 print "1221 kB" (not 1222), 10,143,800 print "10 MB". Below 10,000 they print exactly ("9084 bytes").
#   A rounded count is written here as the range it stands for, LO..HI: "1221 kB" -> 1221000..1221999,
#   "10 MB" -> 10000000..10999999. Frame counts are always exact.
# - Addresses are printed as addr:port with no brackets, IPv6 too (2001:db8::1:53 is 2001:db8::1 port 53): the
#   port is after the last colon. A long address (IPv6) pushes the columns of its line to the right, so lines are
#   split on blanks, not by column position.
# - Relative start is seconds since the capture's first frame, with 9 decimals; duration (last minus first frame
#   of the conversation) has 4 decimals. Both are kept as printed.
# - TCP conversations are tshark's TCP streams (tcp.stream): a 4-tuple reused by a new connection (a SYN after the
#   FINs) is a line of its own. UDP has no such split: a reused socket pair is one conversation.
# - The UDP table comes before the TCP table; both are printed even when empty. On a read error in the middle of
#   a capture tshark prints the tables for the frames it read and exits with status 2; when it cannot open the
#   capture at all it prints no table ("# tables: none").
#
# tshark runs with -n (no name resolution) and, as for tshark-fields.sh (tshark-reference.sh), an empty private
# configuration and TZ=UTC LC_ALL=C. The decode-as rules of ../shared/pcaps/SOURCES.md are not passed: they change
# only what is above TCP, which these tables do not see.
#
# Usage: tests/conformance/tshark-conv.sh [SHARED_PCAPS_DIR]   (default: ../shared/pcaps beside the repository,
#        or $PCAPFORGE_SHARED_PCAPS). Needs tshark, awk and gzip. Prints each file written and the total size.
set -euo pipefail

# shellcheck source=tshark-reference.sh
. "$(dirname "${BASH_SOURCE[0]}")/tshark-reference.sh"
reference_setup "${1:-}"
out=$root/tests/PcapForge.Flows.Tests/Conformance
gzip_over=8192
columns='proto addr_a port_a addr_b port_b frames_a_to_b bytes_a_to_b frames_b_to_a bytes_b_to_a rel_start duration'

# normalise: tshark's -z conv text on stdin -> "# tables: ..." line, then one sorted line per conversation.
# A data line has 14 blank-separated words:
#   A <-> B  frames_b_to_a N unit  frames_a_to_b N unit  total_frames N unit  rel_start duration
normalise() {
    awk -v OFS='\t' '
        function split_endpoint(s, parts,   i) { i = match(s, /:[^:]*$/); parts[1] = substr(s, 1, i - 1); parts[2] = substr(s, i + 1) }
        function bytes(n, unit,   m) {
            if (unit == "bytes") return n
            m = unit == "kB" ? 1e3 : unit == "MB" ? 1e6 : unit == "GB" ? 1e9 : unit == "TB" ? 1e12 : -1
            if (m < 0) { print "unknown byte unit " unit " in: " $0 > "/dev/stderr"; bad = 1; return "?" }
            return sprintf("%.0f..%.0f", n * m, n * m + m - 1)
        }
        /^(TCP|UDP) Conversations$/ { proto = tolower($1); tables = tables " " proto; next }
        / <-> / {
            if (NF != 14 || $2 != "<->") { print "unexpected conversation line: " $0 > "/dev/stderr"; bad = 1; next }
            split_endpoint($1, a); split_endpoint($3, b)
            if ($10 != $4 + $7) { print "frames do not add up: " $0 > "/dev/stderr"; bad = 1 }
            print proto, a[1], a[2], b[1], b[2], $7, bytes($8, $9), $4, bytes($5, $6), $13, $14 | "sort"
        }
        END {
            # first, flushed before close() lets sort write the sorted lines to the same output
            printf "# tables:%s\n", tables == "" ? " none" : tables
            fflush()
            close("sort")
            exit bad
        }'
}

# generate SOURCE_DIR TARGET_SUBFOLDER
generate() {
    local dir=$1 target=$out/$2
    mkdir -p "$target"
    rm -f "$target"/*.conv.tsv "$target"/*.conv.tsv.gz
    local f file
    for f in $(reference_captures "$dir"); do
        {
            reference_run "$dir" tshark -n -q -r "$f" -o ip.defragment:TRUE -z conv,tcp -z conv,udp
            normalise <"$cfg/out" | sed "1a # $columns"
        } >"$cfg/conv.tsv"
        file=$target/$f.conv.tsv
        if [ "$(stat -c %s "$cfg/conv.tsv")" -gt "$gzip_over" ]; then
            file=$file.gz
            gzip -n -9 <"$cfg/conv.tsv" >"$file"
        else
            cp "$cfg/conv.tsv" "$file"
        fi
        echo "${file#"$out"/} ($(grep -vc '^#' "$cfg/conv.tsv") conversations)"
    done
}

reference_folders generate '*.conv.tsv*'
