#!/bin/bash
# pcapforge capture against tcpdump on a veth pair in two network namespaces made for the run: tcpreplay sends a
# recorded capture at top speed from one side, the capturer on the other side counts what it kept and what the
# kernel dropped. Usage: bench/run-capture-bench.sh [LOOPS] (default 20000 loops of testdata/http-keepalive-veth.pcap,
# 61 frames each). Needs root, tcpreplay and tcpdump. Prints one line per capturer.
set -eu
LOOPS=${1:-20000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PF=${PCAPFORGE:-$ROOT/src/PcapForge.Cli/bin/Release/net10.0/pcapforge}
PCAP=$ROOT/testdata/http-keepalive-veth.pcap
ID=pb$$; A=${ID}a; B=${ID}b; D=$(mktemp -d)
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; rm -rf "$D"; }
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add ${ID}x type veth peer name ${ID}y
ip link set ${ID}x netns $A; ip link set ${ID}y netns $B
for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
ip netns exec $A ip link set ${ID}x up; ip netns exec $B ip link set ${ID}y up
FRAMES=$((LOOPS * $(capinfos -c -M $PCAP | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')))

run() { # name, ready-text, command...
    local name=$1 ready=$2; shift 2
    ip netns exec $A /usr/bin/time -f "%U %S %M" -o $D/time "$@" 2>$D/err & local pid=$!
    for i in $(seq 600); do grep -q "$ready" $D/err && break; sleep 0.1; done
    local start=$(date +%s.%N)
    ip netns exec $B tcpreplay -q -i ${ID}y --topspeed --loop=$LOOPS $PCAP >/dev/null 2>&1
    local sent=$(date +%s.%N)
    sleep 2
    kill -TERM $(pgrep -P $pid) 2>/dev/null || true # the capturer, child of time(1)
    wait $pid || true
    local kept=$(capinfos -c -M $D/out.* 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    read user sys rss < $D/time
    printf '%-28s sent %d frames in %.2f s (%.0f frames/s); kept %s; cpu user %.2f s sys %.2f s; peak RSS %d MiB\n' \
        "$name" $FRAMES "$(echo "$sent - $start" | bc)" "$(echo "$FRAMES / ($sent - $start)" | bc)" "$kept" $user $sys $((rss / 1024))
    grep -E "dropped|received" $D/err | sed 's/^/    /'
    rm -f $D/out.* $D/err; rm -rf $D/ds
}

run tcpdump "listening on" tcpdump -i ${ID}x -w $D/out.pcap -Z root
run "pcapforge -w" "capturing on" $PF capture -i ${ID}x -w $D/out.pcapng
run "pcapforge -w --out" "capturing on" $PF capture -i ${ID}x -w $D/out.pcapng --out $D/ds/
run "pcapforge -w (recvmmsg)" "capturing on" env PCAPFORGE_CAPTURE_RING=0 $PF capture -i ${ID}x -w $D/out.pcapng
