#!/usr/bin/env bash
# record.sh - record the small, REAL network captures used by PcapForge's golden tests.
#
# The captures are committed; this script is NOT run in CI. Re-run it by hand (as root, on Linux) only
# to regenerate them; packet contents (ports, TCP sequence numbers, timestamps, keys) change on every run,
# and so do the counts that the generated README.md lists.
#
# Needs (Debian 12 package names):
#   tshark (capinfos, tshark, dumpcap), tcpdump, iproute2 (ip, ss), iptables, ethtool, curl, python3,
#   nginx-light, openssh-server + openssh-client, dnsmasq-base, bind9-dnsutils (dig), iputils-ping,
#   gzip, zstd,
#   and for the optional SMTP capture (skipped when missing, or with SKIP_SMTP=1): postfix, swaks,
#   libnet-ssleay-perl, ssl-cert (snakeoil certificate).
#   e.g. DEBIAN_FRONTEND=noninteractive apt-get install -y tshark tcpdump iproute2 iptables ethtool curl \
#          python3 nginx-light openssh-server dnsmasq-base bind9-dnsutils iputils-ping zstd \
#          postfix swaks libnet-ssleay-perl ssl-cert
#   (Postfix asks debconf questions; preseed "postfix postfix/main_mailer_type select Local only".)
#
# Network rule: every packet stays inside network namespaces this script creates:
#   pfcli (client, pf-c0 10.203.0.1/24 fd00:203::1/64) <--veth--> pfsrv (server, pf-s0 10.203.0.2/24 fd00:203::2/64)
#   pflo  (only its own loopback, for the "any"/SLL2 capture)
# The namespaces have no default route, and an iptables/ip6tables OUTPUT guard in each rejects any destination
# other than loopback, 10.203.0.0/24, fd00:203::/64 and IPv6 link-local/multicast.
# Nothing is captured in the root namespace, so no unrelated host traffic can end up in a capture.
#
# Side effects outside this folder, all undone on exit (trap) or at the start of the next run: namespaces pfcli,
# pfsrv, pflo and the veth pair; a work folder /tmp/pcapforge-record.XXXXXX (KEEP_WORK=1 keeps it); section [7]
# edits the system's /etc/postfix/main.cf with postconf -e (backup main.cf.pcapforge-record-backup, restored)
# and runs the system Postfix inside pfsrv. It also creates /run/sshd if missing (sshd needs it).
# Run time: about 15 s.
#
# Sections (referred to by testdata/README.md):
#   [1] http-keepalive-veth.pcap   tcpdump, pcap usec, Ethernet, nginx keep-alive GETs/POST/404/chunked
#   [2] http-ipv6-nsec.pcap        tcpdump --time-stamp-precision=nano, IPv6 HTTP to nginx:80 and python:8080
#   [3] mixed-2ifaces.pcapng       dumpcap -i pf-c0 -i lo, HTTP, ICMP/ICMPv6 ping, DNS (dnsmasq), UDP
#   [4] ssh-session.pcapng         dumpcap, ssh key login to sshd, runs "echo hi"
#   [5] loopback-any-sll2.pcap     tcpdump -i any (LINUX_SLL2), curl against python http.server on 127.0.0.1
#   [6] compressed copies          .pcap.gz (gzip -n -9), .pcapng.zst (zstd -19)
#   [7] smtp-starttls.pcap         optional: swaks -> postfix with STARTTLS (snakeoil certificate)
#   [8] verification + README.md   capinfos / tshark checks, README table regenerated
set -euo pipefail

OUT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NS_C=pfcli
NS_S=pfsrv
NS_L=pflo
IF_C=pf-c0
IF_S=pf-s0
MAC_C=02:00:0a:cb:00:01
MAC_S=02:00:0a:cb:00:02
V4_C=10.203.0.1
V4_S=10.203.0.2
V6_C=fd00:203::1
V6_S=fd00:203::2
UA="pcapforge-recorder/1.0"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
POSTFIX_BACKUP=/etc/postfix/main.cf.pcapforge-record-backup

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'record.sh: error: %s\n' "$*" >&2; exit 1; }
inc() { ip netns exec "$NS_C" "$@"; }   # run in the client namespace
ins() { ip netns exec "$NS_S" "$@"; }   # run in the server namespace
inl() { ip netns exec "$NS_L" "$@"; }   # run in the loopback-only namespace

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, packet capture)"
for c in ip ss iptables ip6tables ethtool tcpdump dumpcap tshark capinfos curl nginx /usr/sbin/sshd ssh \
         ssh-keygen dnsmasq dig ping gzip zstd "$PY"; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c (see the header of this script)"
done

# --------------------------------------------------------------------------------------------- clean-up
SERVER_PIDS=()
CAP_PID=
POSTFIX_STARTED=0
W=

remove_namespaces() {
    local ns pid
    for ns in "$NS_C" "$NS_S" "$NS_L"; do
        if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
            # processes left in our own namespace by an earlier, interrupted run: end them by PID
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
            ip netns del "$ns" 2>/dev/null || true
        fi
    done
    ip link del "$IF_C" 2>/dev/null || true   # a veth that never made it into its namespace
    ip link del "$IF_S" 2>/dev/null || true
}

restore_postfix_config() {
    if [ -f "$POSTFIX_BACKUP" ]; then
        cp -p "$POSTFIX_BACKUP" /etc/postfix/main.cf && rm -f "$POSTFIX_BACKUP"
    fi
}

cleanup() {
    local rc=$? pid
    set +e
    if [ -n "$CAP_PID" ]; then kill -INT "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; fi
    for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    if [ "$POSTFIX_STARTED" = 1 ]; then ins postfix stop >/dev/null 2>&1; fi
    restore_postfix_config
    remove_namespaces
    if [ -n "$W" ]; then
        if [ "${KEEP_WORK:-0}" = 1 ]; then echo "record.sh: work directory kept: $W" >&2; else rm -rf "$W"; fi
    fi
    [ $rc -eq 0 ] || echo "record.sh: FAILED (exit $rc); namespaces and servers cleaned up" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------------------ helpers
wait_until() { # DESCRIPTION TIMEOUT_SECONDS COMMAND... : poll every 50 ms
    local desc=$1 end=$((SECONDS + $2)); shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$end" ] || die "timed out waiting for $desc"
        sleep 0.05
    done
}
listening() { # NAMESPACE t|u PORT
    [ -n "$(ip netns exec "$1" ss -Hln"$2" "sport = :$3")" ]
}
start_server() { # NAME NAMESPACE COMMAND... : background server, logged to $W/NAME.log
    local name=$1 ns=$2; shift 2
    ip netns exec "$ns" "$@" >"$W/$name.log" 2>&1 &
    SERVER_PIDS+=("$!")
}
stop_server() { # PID
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
flush_neighbours() { # so that every capture starts with its own ARP / neighbour discovery
    ip -n "$NS_C" neigh flush dev "$IF_C" 2>/dev/null || true
    ip -n "$NS_S" neigh flush dev "$IF_S" 2>/dev/null || true
}
start_capture() { # NAME NAMESPACE COMMAND... : waits until the capturer is really capturing
    local name=$1 ns=$2; shift 2
    CAP_LOG="$W/$name.capture.log"
    ip netns exec "$ns" "$@" 2>"$CAP_LOG" &
    CAP_PID=$!
    wait_until "$name capture to start" 15 grep -qE '(listening on|Capturing on)' "$CAP_LOG"
}
stop_capture() { # stop cleanly with SIGINT so the file is complete (and dumpcap writes its ISBs)
    sleep 0.3   # let the last ACK / FIN of the exchange pass the interface
    kill -INT "$CAP_PID"
    local rc=0
    wait "$CAP_PID" || rc=$?
    CAP_PID=
    sed 's/^/    capture: /' "$CAP_LOG" >&2
    [ "$rc" -eq 0 ] || die "capturer exited with status $rc"
    # a complete capture: nothing dropped (tcpdump: "N packets dropped by kernel", dumpcap: "received/dropped ... N/M")
    if grep -qE '(^|[^0-9])[1-9][0-9]* packets dropped by kernel|received/dropped on interface .*: [0-9]+/[1-9]' "$CAP_LOG"; then
        die "the capture dropped packets"
    fi
}
c_curl() { inc curl -sS --max-time 10 -A "$UA" "$@"; }

# ------------------------------------------------------------------- stale state from an earlier run
remove_namespaces
restore_postfix_config

W=$(mktemp -d /tmp/pcapforge-record.XXXXXX)
chmod 755 "$W"          # nginx's worker (www-data) must reach the web root
mkdir -p "$W/out"

# ------------------------------------------------------------- deterministic web root and configuration
log "building web root and configuration in $W"
mkdir -p "$W/www/data" "$W/nginx-tmp"
"$PY" - "$W/www" <<'EOF'
import hashlib, os, sys
root = sys.argv[1]
def write(rel, data):
    with open(os.path.join(root, rel), "wb") as f:
        f.write(data)
write("index.html", b"""<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>PcapForge test site</title><link rel="stylesheet" href="/style.css"></head>
<body>
<h1>PcapForge test site</h1>
<p>This page is served by a real web server inside a network namespace for PcapForge's golden captures.</p>
<ul><li><a href="/data/lorem.txt">lorem.txt</a></li><li><a href="/data/blob.bin">blob.bin</a></li></ul>
</body>
</html>
""")
write("style.css", b"body { font-family: sans-serif; margin: 2em; }\nh1 { color: #235; }\n")
write("data/lorem.txt", b"".join(
    b"line %04d: The quick brown fox jumps over the lazy dog. 0123456789\n" % i for i in range(1, 301)))
blob = b"".join(hashlib.sha256(b"pcapforge-%d" % i).digest() for i in range(512))  # 16384 bytes
write("data/blob.bin", blob)
write("chunked.shtml", b"""<!DOCTYPE html>
<html><body>
<p>Server-side include; nginx streams this page with Transfer-Encoding: chunked.</p>
<pre><!--# include file="/style.css" --></pre>
<p>End of page.</p>
</body></html>
""")
EOF
find "$W/www" -exec touch -h -d '2024-01-01 00:00:00 UTC' {} +   # fixed Last-Modified / ETag
chmod -R a+rX "$W/www"

cat >"$W/nginx.conf" <<EOF
daemon off;
user www-data;
worker_processes 1;
pid $W/nginx.pid;
error_log $W/nginx-error.log info;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $W/nginx-access.log;
    client_body_temp_path $W/nginx-tmp/body;
    proxy_temp_path $W/nginx-tmp/proxy;
    fastcgi_temp_path $W/nginx-tmp/fastcgi;
    uwsgi_temp_path $W/nginx-tmp/uwsgi;
    scgi_temp_path $W/nginx-tmp/scgi;
    server_tokens off;
    sendfile on;
    keepalive_timeout 15s;
    keepalive_requests 100;
    gzip on;                      # only for clients that send Accept-Encoding: gzip
    gzip_types text/plain text/css;
    gzip_min_length 1024;
    gzip_vary on;
    server {
        listen $V4_S:80;
        listen [$V6_S]:80;
        server_name www.pcapforge.test;
        root $W/www;
        index index.html;
        location ~ \.shtml\$ { ssi on; default_type text/html; }
        location = /api/submit {
            default_type application/json;
            return 201 '{"status":"created","id":42}\n';
        }
    }
}
EOF

mkdir -p "$W/ssh"
ssh-keygen -q -t ed25519 -N '' -C pcapforge-host -f "$W/ssh/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C pcapforge-client -f "$W/ssh/client_ed25519"
cp "$W/ssh/client_ed25519.pub" "$W/ssh/authorized_keys"
echo "$V4_S $(cut -d' ' -f1,2 "$W/ssh/host_ed25519.pub")" >"$W/ssh/known_hosts"
cat >"$W/ssh/sshd_config" <<EOF
ListenAddress $V4_S:22
HostKey $W/ssh/host_ed25519
PidFile $W/ssh/sshd.pid
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $W/ssh/authorized_keys
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
EOF
mkdir -p /run/sshd

# ------------------------------------------------------------------------------------------ network
log "creating namespaces $NS_C <-> $NS_S (veth $IF_C/$IF_S) and $NS_L"
ip netns add "$NS_C"
ip netns add "$NS_S"
ip netns add "$NS_L"
QUIET_V6="router_solicitations=0 accept_dad=0 accept_ra=0 mldv1_unsolicited_report_interval=10 mldv2_unsolicited_report_interval=10"
for ns in "$NS_C" "$NS_S" "$NS_L"; do
    # quiet IPv6 (set before the veth ends move in, as a device takes the namespace's defaults): no router
    # solicitations, no DAD probes, and the link-up multicast listener reports sent within milliseconds
    for kv in $QUIET_V6; do
        ip netns exec "$ns" sysctl -qw "net.ipv6.conf.all.$kv" "net.ipv6.conf.default.$kv"
    done
    ip -n "$ns" link set lo up
    # guard: nothing may leave for an address outside loopback and our own veth subnets
    ip netns exec "$ns" iptables -w -A OUTPUT -o lo -j ACCEPT
    ip netns exec "$ns" iptables -w -A OUTPUT -d 10.203.0.0/24 -j ACCEPT
    ip netns exec "$ns" iptables -w -A OUTPUT -j REJECT
    ip netns exec "$ns" ip6tables -w -A OUTPUT -o lo -j ACCEPT
    ip netns exec "$ns" ip6tables -w -A OUTPUT -d fd00:203::/64 -j ACCEPT
    ip netns exec "$ns" ip6tables -w -A OUTPUT -d fe80::/10 -j ACCEPT
    ip netns exec "$ns" ip6tables -w -A OUTPUT -d ff02::/16 -j ACCEPT
    ip netns exec "$ns" ip6tables -w -A OUTPUT -j REJECT
done
ip link add "$IF_C" address "$MAC_C" type veth peer name "$IF_S" address "$MAC_S"
ip link set "$IF_C" netns "$NS_C"
ip link set "$IF_S" netns "$NS_S"
for kv in $QUIET_V6; do
    ip netns exec "$NS_C" sysctl -qw "net.ipv6.conf.$IF_C.$kv"
    ip netns exec "$NS_S" sysctl -qw "net.ipv6.conf.$IF_S.$kv"
done
ip -n "$NS_C" addr add "$V4_C/24" dev "$IF_C"
ip -n "$NS_S" addr add "$V4_S/24" dev "$IF_S"
ip -n "$NS_C" -6 addr add "$V6_C/64" dev "$IF_C" nodad
ip -n "$NS_S" -6 addr add "$V6_S/64" dev "$IF_S" nodad
# real <=1514-byte frames (no TSO/GSO/GRO super-packets) and checksums computed in software, so the
# captured TCP/UDP checksums are valid
inc ethtool -K "$IF_C" tx off tso off gso off gro off >/dev/null 2>&1 || inc ethtool -K "$IF_C" tso off gso off gro off
ins ethtool -K "$IF_S" tx off tso off gso off gro off >/dev/null 2>&1 || ins ethtool -K "$IF_S" tso off gso off gro off
ip -n "$NS_C" link set "$IF_C" up
ip -n "$NS_S" link set "$IF_S" up
wait_until "veth link up" 10 sh -c "ip -n $NS_C link show $IF_C | grep -q 'state UP'"

# ------------------------------------------------------------------------------------------ servers
log "starting nginx, dnsmasq, sshd in $NS_S"
start_server nginx "$NS_S" nginx -c "$W/nginx.conf"
start_server dnsmasq "$NS_S" dnsmasq --no-daemon --conf-file=/dev/null --bind-interfaces \
    --listen-address="$V4_S" --listen-address="$V6_S" --except-interface=lo --no-resolv --no-hosts \
    --local=/pcapforge.test/ --address=/www.pcapforge.test/"$V4_S" --address=/www.pcapforge.test/"$V6_S" \
    --pid-file= --log-queries --log-facility=-
start_server sshd "$NS_S" /usr/sbin/sshd -D -e -f "$W/ssh/sshd_config"
wait_until "nginx on :80" 15 listening "$NS_S" t 80
wait_until "dnsmasq on :53" 15 listening "$NS_S" u 53
wait_until "sshd on :22" 15 listening "$NS_S" t 22
# let the link-up IPv6 multicast listener reports (10 ms apart, see QUIET_V6) pass before the first capture
sleep 0.5

# ------------------------------------------------------------------ [1] http-keepalive-veth.pcap
log "[1] http-keepalive-veth.pcap"
flush_neighbours
start_capture http1 "$NS_C" tcpdump -i "$IF_C" -s 0 -B 65536 -U --immediate-mode -n -Z root -w "$W/out/http-keepalive-veth.pcap"
B="http://$V4_S"
# one curl process: all requests share one keep-alive connection (num_connects 1, then 0)
FMT='    %{http_code} %{method} %{url_effective} connects=%{num_connects} bytes=%{size_download}\n'
c_curl --http1.1 -w "$FMT" \
    -o /dev/null "$B/" -o /dev/null "$B/style.css" -o /dev/null "$B/data/lorem.txt" \
    -o /dev/null "$B/data/blob.bin" -o /dev/null "$B/missing.html" \
    --next -sS -A "$UA" --http1.1 -w "$FMT" -o /dev/null -H 'Content-Type: application/json' \
        --data-binary '{"name":"pcapforge","kind":"golden-test","n":1}' "$B/api/submit" \
    --next -sS -A "$UA" --http1.1 -w "$FMT" -o /dev/null "$B/chunked.shtml" \
    --next -sS -A "$UA" --http1.1 -w "$FMT" -o /dev/null --compressed "$B/data/lorem.txt" >&2
stop_capture

# ------------------------------------------------------------------------- [2] http-ipv6-nsec.pcap
log "[2] http-ipv6-nsec.pcap"
start_server pyhttp6 "$NS_S" "$PY" -m http.server 8080 --bind "$V6_S" --directory "$W/www"
PYHTTP6_PID=${SERVER_PIDS[-1]}
wait_until "python http.server on [$V6_S]:8080" 15 listening "$NS_S" t 8080
flush_neighbours
start_capture http6 "$NS_C" tcpdump -i "$IF_C" -s 0 -B 65536 -U --immediate-mode -n -Z root --time-stamp-precision=nano \
    -w "$W/out/http-ipv6-nsec.pcap"
B6="http://[$V6_S]"
c_curl -6 --http1.1 -w "$FMT" -o /dev/null "$B6/" -o /dev/null "$B6/data/blob.bin" -o /dev/null "$B6/nothing-here" >&2
c_curl -6 -w "$FMT" -o /dev/null "$B6:8080/" -o /dev/null "$B6:8080/data/lorem.txt" \
    -o /dev/null "$B6:8080/no/such/file" >&2
c_curl -6 -w "$FMT" -o /dev/null -I "$B6:8080/index.html" >&2
stop_capture
stop_server "$PYHTTP6_PID"

# ------------------------------------------------------------------------ [3] mixed-2ifaces.pcapng
log "[3] mixed-2ifaces.pcapng"
start_server pyhttplo "$NS_C" "$PY" -m http.server 8081 --bind 127.0.0.1 --directory "$W/www"
PYHTTPLO_PID=${SERVER_PIDS[-1]}
wait_until "python http.server on 127.0.0.1:8081" 15 listening "$NS_C" t 8081
flush_neighbours
start_capture mixed "$NS_C" dumpcap -q -i "$IF_C" -i lo -w "$W/out/mixed-2ifaces.pcapng"
inc ping -n -c 3 -i 0.2 -W 2 "$V4_S" | sed 's/^/    /' >&2
inc ping -n -6 -c 3 -i 0.2 -W 2 "$V6_S" | sed 's/^/    /' >&2
inc dig +tries=1 +time=2 @"$V4_S" www.pcapforge.test A | grep -E 'status|^www' | sed 's/^/    /' >&2
inc dig +tries=1 +time=2 @"$V6_S" www.pcapforge.test AAAA | grep -E 'status|^www' | sed 's/^/    /' >&2
inc dig +tries=1 +time=2 @"$V4_S" nosuchhost.pcapforge.test A | grep -E 'status' | sed 's/^/    /' >&2
c_curl --http1.1 -w "$FMT" -o /dev/null --resolve "www.pcapforge.test:80:$V4_S" http://www.pcapforge.test/ >&2
c_curl -w "$FMT" -o /dev/null http://127.0.0.1:8081/style.css >&2
# UDP on loopback: a tiny echo exchange
inc "$PY" - <<'EOF'
import socket
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); srv.bind(("127.0.0.1", 5005))
cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); cli.bind(("127.0.0.1", 5006)); cli.settimeout(2)
for i in range(1, 4):
    cli.sendto(b"pcapforge udp datagram %d\n" % i, ("127.0.0.1", 5005))
    data, peer = srv.recvfrom(2048)
    srv.sendto(b"echo: " + data, peer)
    cli.recvfrom(2048)
EOF
# UDP over the veth to a closed port: the server answers with ICMP port unreachable
inc bash -c "printf 'pcapforge to a closed udp port\n' >/dev/udp/$V4_S/9" || true
stop_capture
stop_server "$PYHTTPLO_PID"

# -------------------------------------------------------------------------- [4] ssh-session.pcapng
log "[4] ssh-session.pcapng"
flush_neighbours
start_capture ssh "$NS_C" dumpcap -q -i "$IF_C" -w "$W/out/ssh-session.pcapng"
SSH_OUT=$(inc ssh -F /dev/null -i "$W/ssh/client_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$W/ssh/known_hosts" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
    -o ConnectTimeout=10 -o LogLevel=ERROR root@"$V4_S" 'echo hi' </dev/null)
echo "    ssh output: $SSH_OUT" >&2
[ "$SSH_OUT" = hi ] || die "ssh did not print 'hi'"
stop_capture

# ------------------------------------------------------------------- [5] loopback-any-sll2.pcap
log "[5] loopback-any-sll2.pcap"
start_server pyhttpany "$NS_L" "$PY" -m http.server 8000 --bind 127.0.0.1 --directory "$W/www"
PYHTTPANY_PID=${SERVER_PIDS[-1]}
wait_until "python http.server on 127.0.0.1:8000" 15 listening "$NS_L" t 8000
start_capture any "$NS_L" tcpdump -i any -s 0 -B 65536 -U --immediate-mode -n -Z root -w "$W/out/loopback-any-sll2.pcap"
inl curl -sS --max-time 10 -A "$UA" -w "$FMT" -o /dev/null http://127.0.0.1:8000/ \
    -o /dev/null http://127.0.0.1:8000/style.css >&2
stop_capture
stop_server "$PYHTTPANY_PID"

# ------------------------------------------------------------------------ [7] smtp-starttls.pcap
if [ "${SKIP_SMTP:-0}" != 1 ] && command -v postfix >/dev/null && command -v swaks >/dev/null \
        && [ -f /etc/ssl/certs/ssl-cert-snakeoil.pem ]; then
    log "[7] smtp-starttls.pcap"
    if [ -f /var/spool/postfix/pid/master.pid ] && postfix status >/dev/null 2>&1; then
        die "a Postfix is already running on this machine; stop it or run with SKIP_SMTP=1"
    fi
    cp -p /etc/postfix/main.cf "$POSTFIX_BACKUP"   # restored by cleanup
    postconf -e "inet_interfaces = all" "inet_protocols = ipv4" \
        "myhostname = mail.pcapforge.test" "mydestination = mail.pcapforge.test, localhost" \
        "mynetworks = 127.0.0.0/8 10.203.0.0/24" "smtpd_peername_lookup = no" \
        "smtp_dns_support_level = disabled" "local_transport = discard:" \
        "smtpd_tls_security_level = may" \
        "smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem" \
        "smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key"
    ins postfix start >"$W/postfix.log" 2>&1
    POSTFIX_STARTED=1
    wait_until "postfix on :25" 30 listening "$NS_S" t 25
    flush_neighbours
    start_capture smtp "$NS_C" tcpdump -i "$IF_C" -s 0 -B 65536 -U --immediate-mode -n -Z root -w "$W/out/smtp-starttls.pcap"
    inc swaks --server "$V4_S" --port 25 --ehlo client.pcapforge.test --from alice@client.pcapforge.test \
        --to root@mail.pcapforge.test -tls --timeout 20 \
        --header "Subject: PcapForge golden capture" --header "Date: Mon, 01 Jan 2024 00:00:00 +0000" \
        --header "Message-Id: <golden-1@client.pcapforge.test>" \
        --body "Hello from the PcapForge capture recorder." >"$W/swaks.log" 2>&1 \
        || { cat "$W/swaks.log" >&2; die "swaks failed"; }
    grep -E '^( ?<[-~]|.*STARTTLS)' "$W/swaks.log" | head -n 4 | sed 's/^/    /' >&2
    stop_capture
    ins postfix stop >/dev/null 2>&1 || true
    POSTFIX_STARTED=0
    restore_postfix_config
else
    log "[7] smtp-starttls.pcap skipped (SKIP_SMTP=1, or postfix/swaks/snakeoil certificate missing)"
fi

# --------------------------------------------------------------------------- [6] compressed copies
log "[6] compressed copies"
gzip -n -9 -c "$W/out/http-keepalive-veth.pcap" >"$W/out/http-keepalive-veth.pcap.gz"
zstd -q -19 -c "$W/out/mixed-2ifaces.pcapng" >"$W/out/mixed-2ifaces.pcapng.zst"

# ---------------------------------------------------------------------------------- [8] verification
log "[8] verifying captures"
tshark_count() { # FILE DISPLAY_FILTER -> number of matching packets
    tshark -r "$1" -Y "$2" 2>/dev/null | wc -l
}
expect() { # FILE DISPLAY_FILTER...: every filter must match at least one packet
    local f=$1 flt n; shift
    for flt in "$@"; do
        n=$(tshark_count "$f" "$flt")
        [ "$n" -gt 0 ] || die "$(basename "$f"): no packet matches '$flt'"
        printf '    %-26s %-60s %4d packets\n' "$(basename "$f")" "$flt" "$n" >&2
    done
}
expect_none() { # FILE DISPLAY_FILTER
    local n; n=$(tshark_count "$1" "$2")
    [ "$n" -eq 0 ] || die "$(basename "$1"): $n packets match '$2'"
}
for f in "$W"/out/*.pcap "$W"/out/*.pcapng; do
    capinfos "$f" >/dev/null || die "capinfos cannot read $f"
    tshark -r "$f" -q >/dev/null 2>"$W/tshark.err" || { cat "$W/tshark.err" >&2; die "tshark cannot read $f"; }
    # every packet stays inside our own address space
    expect_none "$f" 'ip && !(ip.addr == 10.203.0.0/24 || ip.addr == 127.0.0.0/8)'
    expect_none "$f" 'ipv6 && !(ipv6.addr == fd00:203::/64 || ipv6.addr == fe80::/10 || ipv6.addr == ::1 || ipv6.dst == ff02::/16)'
done
expect "$W/out/http-keepalive-veth.pcap" 'arp' 'http.request.method == "GET"' 'http.request.method == "POST"' \
    'http.response.code == 404' 'http.response.code == 201' 'http.transfer_encoding == "chunked"' \
    'http.content_encoding == "gzip"' 'frame.len > 1500'
[ "$(tshark_count "$W/out/http-keepalive-veth.pcap" 'tcp.flags.syn == 1 && tcp.flags.ack == 0')" -eq 1 ] \
    || die "http-keepalive-veth.pcap: expected exactly one TCP connection"
expect_none "$W/out/http-keepalive-veth.pcap" 'frame.len > 1514'
expect "$W/out/http-ipv6-nsec.pcap" 'icmpv6.type == 135' 'ipv6 && http.request' 'tcp.port == 8080 && http' \
    'http.response.code == 404' 'http.request.method == "HEAD"'
expect "$W/out/mixed-2ifaces.pcapng" 'frame.interface_id == 0' 'frame.interface_id == 1' 'icmp.type == 8' \
    'icmp.type == 0' 'icmpv6.type == 128' 'icmpv6.type == 129' 'dns.flags.response == 1 && dns.a' \
    'dns.aaaa' 'dns.flags.rcode == 3' 'http.request' 'udp.port == 5005' 'icmp.type == 3'
expect "$W/out/ssh-session.pcapng" 'ssh.protocol' 'ssh.message_code == 20'
expect "$W/out/loopback-any-sll2.pcap" 'sll.ifindex' 'http.request' 'http.response.code == 200'
[ ! -f "$W/out/smtp-starttls.pcap" ] || expect "$W/out/smtp-starttls.pcap" 'smtp.req.command == "EHLO"' \
    'smtp.req && smtp contains "STARTTLS"' 'tls.handshake.type == 1'
gzip -t "$W/out/http-keepalive-veth.pcap.gz"
zstd -q -t "$W/out/mixed-2ifaces.pcapng.zst"
cmp <(gzip -dc "$W/out/http-keepalive-veth.pcap.gz") "$W/out/http-keepalive-veth.pcap"
cmp <(zstd -qdc "$W/out/mixed-2ifaces.pcapng.zst") "$W/out/mixed-2ifaces.pcapng"

# ---------------------------------------------------------------------------- install + README.md
FILES=(http-keepalive-veth.pcap http-ipv6-nsec.pcap mixed-2ifaces.pcapng ssh-session.pcapng
       loopback-any-sll2.pcap http-keepalive-veth.pcap.gz mixed-2ifaces.pcapng.zst)
[ -f "$W/out/smtp-starttls.pcap" ] && FILES+=(smtp-starttls.pcap)
for f in "${FILES[@]}"; do install -m 0644 "$W/out/$f" "$OUT_DIR/$f"; done

readme_row() { # FILE SECTION FORMAT LINKTYPES TRAFFIC
    local f=$1 cap=$1 info packets first last order
    case "$f" in *.gz) cap=${f%.gz} ;; *.zst) cap=${f%.zst} ;; esac
    info=$(capinfos -M -T -r -c -a -e -o "$OUT_DIR/$cap")   # file, packets, first, last, time order (tab separated)
    packets=$(cut -f2 <<<"$info"); first=$(cut -f3 <<<"$info"); last=$(cut -f4 <<<"$info"); order=$(cut -f5 <<<"$info")
    case "$order" in True) order=yes ;; False) order="**no**" ;; esac
    printf '| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$f" "$(stat -c %s "$OUT_DIR/$f")" "$2" "$3" "$4" "$5" \
        "$packets" "$first / $last" "$order"
}
{
cat <<'EOF'
# Golden captures

Real traffic recorded by [`record.sh`](record.sh) (run by hand as root; **not** run in CI: the files are committed).
Every packet was exchanged between network namespaces the script creates (`pfcli` 10.203.0.1 / fd00:203::1 ↔
`pfsrv` 10.203.0.2 / fd00:203::2 over the veth pair `pf-c0`/`pf-s0` with MACs 02:00:0a:cb:00:01 / :02, and a
loopback-only namespace `pflo`); no other address is involved, and no capture ran in the host's own namespace.
Re-running the script regenerates all files and this README; ports, TCP sequence numbers, keys and timestamps
change on every run. The web root is fixed (generated by the script, mtime 2024-01-01T00:00:00Z).

Notes for tests:

- The veth ends have TSO/GSO/GRO and TX checksum offload turned off, so Ethernet frames are at most 1514 bytes
  and their IPv4/TCP/UDP checksums are valid. Loopback (`lo`, in `mixed-2ifaces.pcapng` interface 1 and in
  `loopback-any-sll2.pcap`) keeps the kernel defaults: its TCP/UDP checksums are left to "offload" and are
  **wrong** in the capture, as in any real Linux loopback capture.
- `dumpcap` with two interfaces writes each interface's packets in batches, so `mixed-2ifaces.pcapng` may not
  be in strict time order (column "time order" = `capinfos -o`); a reader must not assume sorted timestamps.
- `smtp-starttls.pcap` ends with a TCP RST from the client (swaks closes its socket before reading the TLS
  close_notify after QUIT), as it happened.

Packet counts and times are from `capinfos -M -T -c -a -e -o` (local time of the recording machine, which was UTC).
For the compressed copies they are those of the uncompressed file they were made from. "made by" names the
`[N]` section of `record.sh`.

| file | bytes | made by | format | link type(s) | traffic | packets | first / last packet | time order |
| --- | ---: | --- | --- | --- | --- | ---: | --- | --- |
EOF
readme_row http-keepalive-veth.pcap "[1] tcpdump -i pf-c0" "pcap, µs" "EN10MB (Ethernet)" \
    "ARP; one HTTP/1.1 keep-alive TCP connection to nginx: GET /, /style.css, /data/lorem.txt (20100 B), /data/blob.bin (16384 B), 404 for /missing.html, POST /api/submit (JSON, 201), GET /chunked.shtml (SSI, chunked), GET /data/lorem.txt with Accept-Encoding gzip (chunked + gzip); client FIN"
readme_row http-ipv6-nsec.pcap "[2] tcpdump --time-stamp-precision=nano -i pf-c0" "pcap, ns" "EN10MB (Ethernet)" \
    "IPv6 neighbour discovery; HTTP/1.1 over IPv6 to nginx on :80 (one keep-alive connection: GET /, /data/blob.bin, 404); python3 http.server (HTTP/1.0, one connection per request) on :8080: directory listing, /data/lorem.txt, 404, HEAD"
readme_row mixed-2ifaces.pcapng "[3] dumpcap -i pf-c0 -i lo" "pcapng, ns, 2 IDBs" "EN10MB on both (IDB 0 pf-c0, IDB 1 lo)" \
    "pf-c0: ARP, ICMP echo ×3, ICMPv6 echo ×3 with neighbour discovery, DNS to dnsmasq (A over IPv4, AAAA over IPv6, NXDOMAIN), HTTP GET to nginx, UDP to a closed port + ICMP port unreachable; lo: HTTP/1.0 GET to python http.server :8081, UDP echo 5006↔5005 ×3"
readme_row ssh-session.pcapng "[4] dumpcap -i pf-c0" "pcapng, ns, 1 IDB" "EN10MB (Ethernet)" \
    "ARP; SSH-2 session to OpenSSH sshd: banners, key exchange, ed25519 public-key login as root, runs \`echo hi\`, exits"
readme_row loopback-any-sll2.pcap "[5] tcpdump -i any (namespace pflo)" "pcap, µs" "LINUX_SLL2 (cooked v2)" \
    "two HTTP/1.0 GETs (/, /style.css) on 127.0.0.1 to python http.server :8000, one connection each"
readme_row http-keepalive-veth.pcap.gz "[6] gzip -n -9" "gzip of the pcap" "EN10MB (Ethernet)" \
    "byte-identical copy of http-keepalive-veth.pcap"
readme_row mixed-2ifaces.pcapng.zst "[6] zstd -19" "zstd of the pcapng" "EN10MB on both" \
    "byte-identical copy of mixed-2ifaces.pcapng"
if [ -f "$OUT_DIR/smtp-starttls.pcap" ]; then
readme_row smtp-starttls.pcap "[7] tcpdump -i pf-c0" "pcap, µs" "EN10MB (Ethernet)" \
    "ARP; SMTP from swaks to Postfix: banner, EHLO, STARTTLS, then TLS 1.3 (snakeoil certificate) carrying EHLO/MAIL/RCPT/DATA/QUIT"
fi
cat <<'EOF'

Checks made by `record.sh` section [8] before the files are installed: `capinfos` and `tshark` read every file;
no capturer dropped a packet; no IPv4/IPv6 address outside the namespaces' ranges occurs; each file holds the
protocols listed above (tshark display filters such as `http.transfer_encoding == "chunked"`,
`dns.flags.rcode == 3`, `frame.interface_id == 1`, `ssh.message_code == 20`, `smtp.req && smtp contains "STARTTLS"`);
the keep-alive capture has exactly one TCP connection and no frame over 1514 bytes; the compressed copies
decompress to the identical bytes.
EOF
} >"$OUT_DIR/README.md"

log "wrote:"
for f in "${FILES[@]}" README.md; do
    printf '    %-30s %8s bytes\n' "$f" "$(stat -c %s "$OUT_DIR/$f")" >&2
done
capinfos -M -T -c -a -e -E -t "${FILES[@]/#/$OUT_DIR/}" 2>/dev/null | grep -v '\.gz\|\.zst' | sed "s#$OUT_DIR/##" >&2 || true
