#!/usr/bin/env bash
# tshark-ssh.sh - regenerate the tshark references of the SSH dissector's conformance test (SshConformanceTests)
# for the fields ../shared/pcaps/expected/ does not hold: HASSH and the server host key.
#
# For every capture of the repository's testdata/ and of the public corpus ../shared/pcaps/ in which tshark sees
# SSH (a frame with ssh.protocol; the compressed copies, *.gz and *.zst, are skipped), runs, in the capture's folder,
#
#   tshark -r FILE -Y 'ssh.kex.hassh || ssh.kex.hasshserver || ssh.host_key.type' -T fields -E header=y
#          -E occurrence=a -E aggregator=, -E separator=/t [-d RULE]
#          -e frame.number -e tcp.srcport -e tcp.dstport -e tcp.stream
#          -e ssh.kex.hassh -e ssh.kex.hassh_algorithms -e ssh.kex.hasshserver -e ssh.kex.hasshserver_algorithms
#          -e ssh.host_key.type -e ssh.host_key.length -e ssh.host_key.rsa.e -e ssh.host_key.rsa.n
#          -e ssh.host_key.dsa.p -e ssh.host_key.dsa.q -e ssh.host_key.dsa.g -e ssh.host_key.dsa.y
#          -e ssh.host_key.ecdsa.id -e ssh.host_key.ecdsa.q -e ssh.host_key.eddsa.key
#
# and writes tests/PcapForge.Dissectors.Ssh.Tests/Conformance/{testdata,shared}/<capture file name>.ssh-kex.tsv:
#   # tshark <version line>; command: <the command, run in the capture's folder>
#   then tshark's own output (header line, one line per frame).
# The host key parts let the test rebuild the K_S blob (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4), check its
# length against ssh.host_key.length and fingerprint it without the dissector's code. TCP desegmentation is left on
# (tshark's default), as in ../shared/pcaps/expected/, so a KEXINIT over several segments is dissected whole.
# The decode-as rule of ../shared/pcaps/SOURCES.md (tcp.port==80,ssh for ssh-on-port-80.pcap) is passed too.
#
# Usage: tests/conformance/tshark-ssh.sh [SHARED_PCAPS_DIR]   (default: ../shared/pcaps beside the repository, or
#        $PCAPFORGE_SHARED_PCAPS). Needs tshark.
set -euo pipefail

# shellcheck source=tshark-reference.sh
. "$(dirname "${BASH_SOURCE[0]}")/tshark-reference.sh"
reference_setup "${1:-}"
out=$root/tests/PcapForge.Dissectors.Ssh.Tests/Conformance

fields=(frame.number tcp.srcport tcp.dstport tcp.stream ssh.kex.hassh ssh.kex.hassh_algorithms ssh.kex.hasshserver
        ssh.kex.hasshserver_algorithms ssh.host_key.type ssh.host_key.length ssh.host_key.rsa.e ssh.host_key.rsa.n
        ssh.host_key.dsa.p ssh.host_key.dsa.q ssh.host_key.dsa.g ssh.host_key.dsa.y ssh.host_key.ecdsa.id
        ssh.host_key.ecdsa.q ssh.host_key.eddsa.key)
options=(-Y 'ssh.kex.hassh || ssh.kex.hasshserver || ssh.host_key.type' -T fields -E header=y -E occurrence=a
         -E aggregator=, -E separator=/t)
for f in "${fields[@]}"; do options+=(-e "$f"); done

# Decode-as rules of ../shared/pcaps/SOURCES.md ("decode-as" column).
decode_as() {
    case "$1" in
        ssh-on-port-80.pcap) echo 'tcp.port==80,ssh' ;;
        # testdata/: sshd on a port tshark does not know (record.sh section [10]).
        ssh-port2222.pcapng) echo 'tcp.port==2222,ssh' ;;
    esac
}

# generate SOURCE_DIR TARGET_SUBFOLDER
generate() {
    local dir=$1 target=$out/$2
    mkdir -p "$target"
    rm -f "$target"/*.ssh-kex.tsv
    local name rule
    for name in $(reference_captures "$dir"); do
        rule=$(decode_as "$name")
        local probe=(tshark -r "$name" -Y ssh.protocol -T fields -e frame.number)
        [ -n "$rule" ] && probe+=(-d "$rule")
        [ -n "$(cd "$dir" && "${probe[@]}" 2>/dev/null)" ] || continue
        local cmd=(tshark -r "$name" "${options[@]}")
        [ -n "$rule" ] && cmd+=(-d "$rule")
        {
            reference_run "$dir" "${cmd[@]}"
            cat "$cfg/out"
        } >"$target/$name.ssh-kex.tsv"
        echo "$2/$name.ssh-kex.tsv"
    done
}

reference_folders generate '*.ssh-kex.tsv'
