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
#   wget, and for the optional SMTP captures (skipped when missing, or with SKIP_SMTP=1): postfix, swaks,
#   libnet-ssleay-perl, ssl-cert (snakeoil certificate), sasl2-bin (saslpasswd2, for AUTH PLAIN in [11];
#   [11] records without AUTH when it is missing).
#   e.g. DEBIAN_FRONTEND=noninteractive apt-get install -y tshark tcpdump iproute2 iptables ethtool curl \
#          python3 nginx-light openssh-server dnsmasq-base bind9-dnsutils iputils-ping zstd wget \
#          postfix swaks libnet-ssleay-perl ssl-cert sasl2-bin
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
# pfsrv, pflo and the veth pair; a work folder /tmp/pcapforge-record.XXXXXX (KEEP_WORK=1 keeps it); sections [7]
# and [11] edit the system's /etc/postfix/main.cf with postconf -e, and [11] also master.cf with postconf -F and
# writes /etc/postfix/sasl/smtpd.conf (backups *.pcapforge-record-backup beside them, restored; a smtpd.conf that
# was not there is removed), and run the system Postfix inside pfsrv. It also creates /run/sshd if missing.
# Run time: about 40 s (all sections), 15 s for 9-12.
#
# Usage: record.sh [SECTION...]   (or ONLY="SECTION..." record.sh)
#   Without arguments every section runs and every file below is regenerated. With section numbers only those
#   sections record (e.g. "record.sh 9 10 11 12" for the newer captures): the other committed captures are left
#   byte for byte as they are, and README.md is regenerated from the files now in testdata/, so the rows of the
#   files not re-recorded come out unchanged. [1] or [3] implies [6] (the compressed copies must match); [8]
#   always runs.
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
#   [9] http-nginx-port8888-wget.pcap   tcpdump, nginx on :8888 over IPv4 and IPv6; wget and curl: keep-alive,
#                                  HEAD, POST, Expect: 100-continue, chunked request body, 304, 301, response
#                                  trailer, two pipelined requests (python3 socket)
#   [10] ssh-port2222.pcapng       dumpcap, sshd on :2222: two failed logins (unknown key, no method left) and
#                                  one key login running a command
#   [11] smtp-plain-2-transactions.pcap   optional: Postfix without STARTTLS; swaks with AUTH PLAIN (when
#                                  saslpasswd2 exists) and PIPELINING; python3 smtplib: two mail transactions in
#                                  one session, one RCPT rejected
#   [12] dns-dig-udp-tcp.pcap      tcpdump, dig against dnsmasq authoritative for pcapforge.test: A, AAAA,
#                                  CNAME, MX, TXT, SRV, PTR, SOA, NS, NXDOMAIN, REFUSED over UDP and TCP, with
#                                  and without EDNS, AXFR
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
POSTFIX_BASE=("inet_interfaces = all" "inet_protocols = ipv4"
    "myhostname = mail.pcapforge.test" "mydestination = mail.pcapforge.test, localhost"
    "mynetworks = 127.0.0.0/8 10.203.0.0/24" "smtpd_peername_lookup = no"
    "smtp_dns_support_level = disabled" "local_transport = discard:")
POSTFIX_MASTER_BACKUP=/etc/postfix/master.cf.pcapforge-record-backup
# Debian's Postfix reads Cyrus SASL's smtpd.conf only from /etc/postfix/sasl (cyrus_sasl_config_path is ignored)
SASL_CONF=/etc/postfix/sasl/smtpd.conf
SASL_CONF_BACKUP=$SASL_CONF.pcapforge-record-backup    # the system's own smtpd.conf, if it had one
SASL_CONF_CREATED=$SASL_CONF.pcapforge-record-created  # marker: the smtpd.conf there is ours
export TZ=UTC   # capinfos prints local times into README.md: the same on every machine

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'record.sh: error: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------------------- section selection
ALL_SECTIONS="1 2 3 4 5 6 7 9 10 11 12 13"
if [ $# -gt 0 ]; then SECTIONS="$*"; else SECTIONS=${ONLY:-$ALL_SECTIONS}; fi
for s in $SECTIONS; do
    case "$s" in
        -h|--help) sed -n '/^# Usage:/,/^#   always runs/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        [1-9]|1[0-3]) ;;
        *) die "unknown section '$s' (sections: $ALL_SECTIONS; 8 always runs)" ;;
    esac
done
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }
if (want 1 || want 3) && ! want 6; then SECTIONS="$SECTIONS 6"; fi
inc() { ip netns exec "$NS_C" "$@"; }   # run in the client namespace
ins() { ip netns exec "$NS_S" "$@"; }   # run in the server namespace
inl() { ip netns exec "$NS_L" "$@"; }   # run in the loopback-only namespace

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, packet capture)"
for c in ip ss iptables ip6tables ethtool tcpdump dumpcap tshark capinfos curl nginx /usr/sbin/sshd ssh \
         ssh-keygen dnsmasq dig ping gzip zstd "$PY"; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c (see the header of this script)"
done
if want 9; then command -v wget >/dev/null 2>&1 || die "missing command: wget (see the header of this script)"; fi
log "sections: $SECTIONS (and 8)"

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
    if [ -f "$POSTFIX_MASTER_BACKUP" ]; then
        cp -p "$POSTFIX_MASTER_BACKUP" /etc/postfix/master.cf && rm -f "$POSTFIX_MASTER_BACKUP"
    fi
    if [ -f "$SASL_CONF_CREATED" ]; then
        rm -f "$SASL_CONF" "$SASL_CONF_CREATED"
    fi
    if [ -f "$SASL_CONF_BACKUP" ]; then
        cp -p "$SASL_CONF_BACKUP" "$SASL_CONF" && rm -f "$SASL_CONF_BACKUP"
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
postfix_begin() { # SECTION SETTING... : the system Postfix inside pfsrv, configured for one capture
    # SETTING: "name = value" for main.cf (postconf -e), or "F:service/type/field = value" for master.cf (postconf -F)
    if [ -f /var/spool/postfix/pid/master.pid ] && postfix status >/dev/null 2>&1; then
        die "a Postfix is already running on this machine; stop it or run with SKIP_SMTP=1"
    fi
    local section=$1 setting main=() master=(); shift
    for setting in "$@"; do
        case "$setting" in F:*) master+=("${setting#F:}") ;; *) main+=("$setting") ;; esac
    done
    cp -p /etc/postfix/main.cf "$POSTFIX_BACKUP"           # both restored by cleanup / postfix_end
    cp -p /etc/postfix/master.cf "$POSTFIX_MASTER_BACKUP"
    postconf -e "${main[@]}"
    if [ ${#master[@]} -gt 0 ]; then postconf -F "${master[@]}"; fi
    ins postfix start >"$W/postfix-$section.log" 2>&1
    POSTFIX_STARTED=1
    wait_until "postfix on :25" 30 listening "$NS_S" t 25
}
postfix_end() {
    ins postfix stop >/dev/null 2>&1 || true
    POSTFIX_STARTED=0
    wait_until "postfix to stop" 30 sh -c '! postfix status'
    restore_postfix_config
}

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

# [9]: a second nginx on port 8888 with its own web root (the files of [1]-[5] stay as they are), a python3
# backend on 127.0.0.1:8090 inside pfsrv behind /api/ (so that nginx reads request bodies: 100 Continue,
# chunked uploads), a 301, and an SSI page sent chunked with a trailer
mkdir -p "$W/www8888/img" "$W/nginx8888-tmp" "$W/bodies"
"$PY" - "$W/www8888" "$W/bodies" <<'EOF'
import os, sys
root, bodies = sys.argv[1], sys.argv[2]
def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
write(os.path.join(root, "index.html"), b"""<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>PcapForge on port 8888</title><link rel="stylesheet" href="/style.css">
<script src="/app.js"></script></head>
<body>
<h1>PcapForge on a non-standard port</h1>
<p><img src="/img/dot.svg" alt=""> <a href="/report.txt">report.txt</a> <a href="/old">an old link</a></p>
</body>
</html>
""")
write(os.path.join(root, "style.css"), b"body { font-family: serif; margin: 1em; }\nimg { width: 8px; }\n")
write(os.path.join(root, "app.js"), b"document.addEventListener('DOMContentLoaded', () => console.log('pcapforge'));\n")
write(os.path.join(root, "img/dot.svg"),
      b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle cx="4" cy="4" r="4"/></svg>\n')
write(os.path.join(root, "report.txt"), b"".join(
    b"report line %03d: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLM\n" % i for i in range(1, 65)))
write(os.path.join(root, "page.shtml"), b"""<!DOCTYPE html>
<html><body>
<p>Server-side include on port 8888; nginx sends this page chunked and adds a trailer field.</p>
<pre><!--# include file="/app.js" --></pre>
</body></html>
""")
# request bodies: 2048 bytes of text for Expect: 100-continue, a JSON document for the chunked upload
write(os.path.join(bodies, "upload-2k.txt"), b"".join(b"upload line %02d: %s\n" % (i, b"x" * 47) for i in range(32)))
write(os.path.join(bodies, "upload.json"), b'{"kind":"chunked-upload","items":[' +
      b",".join(b'{"n":%d,"name":"item-%03d"}' % (i, i) for i in range(40)) + b"]}\n")
EOF
find "$W/www8888" -exec touch -h -d '2024-01-01 00:00:00 UTC' {} +
chmod -R a+rX "$W/www8888"
cat >"$W/nginx8888.conf" <<EOF
daemon off;
user www-data;
worker_processes 1;
pid $W/nginx8888.pid;
error_log $W/nginx8888-error.log info;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $W/nginx8888-access.log;
    client_body_temp_path $W/nginx8888-tmp/body;
    proxy_temp_path $W/nginx8888-tmp/proxy;
    fastcgi_temp_path $W/nginx8888-tmp/fastcgi;
    uwsgi_temp_path $W/nginx8888-tmp/uwsgi;
    scgi_temp_path $W/nginx8888-tmp/scgi;
    server_tokens off;
    sendfile on;
    keepalive_timeout 15s;
    keepalive_requests 100;
    server {
        listen $V4_S:8888;
        listen [$V6_S]:8888;
        server_name www.pcapforge.test;
        root $W/www8888;
        index index.html;
        location = /old { return 301 /new; }
        location = /new { default_type text/plain; return 200 'This resource moved here from /old.\n'; }
        location ~ \.shtml\$ { ssi on; default_type text/html; add_trailer X-Pcapforge-Trailer "end-of-page"; }
        location /api/ { proxy_pass http://127.0.0.1:8090; }
    }
}
EOF
cat >"$W/backend8090.py" <<'EOF'
# the upstream behind nginx's /api/ in [9]: answers each POST with the size and SHA-256 of the body it got
import hashlib, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class Handler(BaseHTTPRequestHandler):
    server_version = "pcapforge-backend/1.0"
    sys_version = ""
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        out = json.dumps({"path": self.path, "received_bytes": len(body),
                          "sha256": hashlib.sha256(body).hexdigest()}).encode() + b"\n"
        self.send_response(201 if self.path == "/api/submit" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, fmt, *args):
        sys.stderr.write("backend: " + (fmt % args) + "\n")
HTTPServer(("127.0.0.1", 8090), Handler).serve_forever()
EOF

# [10]: a second sshd on port 2222 (IPv4 and IPv6), same host key; a key it does not know for the failed login
sed -e "s/^ListenAddress .*/ListenAddress $V4_S:2222\nListenAddress [$V6_S]:2222/" \
    -e "s#^PidFile .*#PidFile $W/ssh/sshd2222.pid#" "$W/ssh/sshd_config" >"$W/ssh/sshd2222_config"
ssh-keygen -q -t ed25519 -N '' -C pcapforge-stranger -f "$W/ssh/stranger_ed25519"
{
    echo "[$V4_S]:2222 $(cut -d' ' -f1,2 "$W/ssh/host_ed25519.pub")"
    echo "[$V6_S]:2222 $(cut -d' ' -f1,2 "$W/ssh/host_ed25519.pub")"
} >"$W/ssh/known_hosts2222"

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
# the servers of sections [1]-[4]; the later sections start their own
DNSMASQ_PID=
if want 1 || want 2 || want 3; then
    log "starting nginx in $NS_S"
    start_server nginx "$NS_S" nginx -c "$W/nginx.conf"
    wait_until "nginx on :80" 15 listening "$NS_S" t 80
fi
if want 3; then
    log "starting dnsmasq in $NS_S"
    start_server dnsmasq "$NS_S" dnsmasq --no-daemon --conf-file=/dev/null --bind-interfaces \
        --listen-address="$V4_S" --listen-address="$V6_S" --except-interface=lo --no-resolv --no-hosts \
        --local=/pcapforge.test/ --address=/www.pcapforge.test/"$V4_S" --address=/www.pcapforge.test/"$V6_S" \
        --pid-file= --log-queries --log-facility=-
    DNSMASQ_PID=${SERVER_PIDS[-1]}
    wait_until "dnsmasq on :53" 15 listening "$NS_S" u 53
fi
if want 4; then
    log "starting sshd in $NS_S"
    start_server sshd "$NS_S" /usr/sbin/sshd -D -e -f "$W/ssh/sshd_config"
    wait_until "sshd on :22" 15 listening "$NS_S" t 22
fi
FMT='    %{http_code} %{method} %{url_effective} connects=%{num_connects} bytes=%{size_download}\n'
# let the link-up IPv6 multicast listener reports (10 ms apart, see QUIET_V6) pass before the first capture
sleep 0.5

# ------------------------------------------------------------------ [1] http-keepalive-veth.pcap
if want 1; then
    log "[1] http-keepalive-veth.pcap"
    flush_neighbours
    start_capture http1 "$NS_C" tcpdump -i "$IF_C" -s 0 -B 65536 -U --immediate-mode -n -Z root -w "$W/out/http-keepalive-veth.pcap"
    B="http://$V4_S"
    # one curl process: all requests share one keep-alive connection (num_connects 1, then 0)
    c_curl --http1.1 -w "$FMT" \
        -o /dev/null "$B/" -o /dev/null "$B/style.css" -o /dev/null "$B/data/lorem.txt" \
        -o /dev/null "$B/data/blob.bin" -o /dev/null "$B/missing.html" \
        --next -sS -A "$UA" --http1.1 -w "$FMT" -o /dev/null -H 'Content-Type: application/json' \
            --data-binary '{"name":"pcapforge","kind":"golden-test","n":1}' "$B/api/submit" \
        --next -sS -A "$UA" --http1.1 -w "$FMT" -o /dev/null "$B/chunked.shtml" \
        --next -sS -A "$UA" --http1.1 -w "$FMT" -o /dev/null --compressed "$B/data/lorem.txt" >&2
    stop_capture
fi

# ------------------------------------------------------------------------- [2] http-ipv6-nsec.pcap
if want 2; then
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
fi

# ------------------------------------------------------------------------ [3] mixed-2ifaces.pcapng
if want 3; then
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
fi

# -------------------------------------------------------------------------- [4] ssh-session.pcapng
if want 4; then
    log "[4] ssh-session.pcapng"
    flush_neighbours
    start_capture ssh "$NS_C" dumpcap -q -i "$IF_C" -w "$W/out/ssh-session.pcapng"
    SSH_OUT=$(inc ssh -F /dev/null -i "$W/ssh/client_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
        -o UserKnownHostsFile="$W/ssh/known_hosts" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
        -o ConnectTimeout=10 -o LogLevel=ERROR root@"$V4_S" 'echo hi' </dev/null)
    echo "    ssh output: $SSH_OUT" >&2
    [ "$SSH_OUT" = hi ] || die "ssh did not print 'hi'"
    stop_capture
fi

# ------------------------------------------------------------------- [5] loopback-any-sll2.pcap
if want 5; then
    log "[5] loopback-any-sll2.pcap"
    start_server pyhttpany "$NS_L" "$PY" -m http.server 8000 --bind 127.0.0.1 --directory "$W/www"
    PYHTTPANY_PID=${SERVER_PIDS[-1]}
    wait_until "python http.server on 127.0.0.1:8000" 15 listening "$NS_L" t 8000
    start_capture any "$NS_L" tcpdump -i any -s 0 -B 65536 -U --immediate-mode -n -Z root -w "$W/out/loopback-any-sll2.pcap"
    inl curl -sS --max-time 10 -A "$UA" -w "$FMT" -o /dev/null http://127.0.0.1:8000/ \
        -o /dev/null http://127.0.0.1:8000/style.css >&2
    stop_capture
    stop_server "$PYHTTPANY_PID"
fi

# ------------------------------------------------------------------------ [7] smtp-starttls.pcap
if want 7; then
    if [ "${SKIP_SMTP:-0}" != 1 ] && command -v postfix >/dev/null && command -v swaks >/dev/null \
            && [ -f /etc/ssl/certs/ssl-cert-snakeoil.pem ]; then
        log "[7] smtp-starttls.pcap"
        postfix_begin 7 "${POSTFIX_BASE[@]}" \
            "smtpd_tls_security_level = may" \
            "smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem" \
            "smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key"
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
        postfix_end
    else
        log "[7] smtp-starttls.pcap skipped (SKIP_SMTP=1, or postfix/swaks/snakeoil certificate missing)"
    fi
fi

# --------------------------------------------------------------- [9] http-nginx-port8888-wget.pcap
if want 9; then
    log "[9] http-nginx-port8888-wget.pcap"
    start_server nginx8888 "$NS_S" nginx -c "$W/nginx8888.conf"
    NGINX8888_PID=${SERVER_PIDS[-1]}
    start_server backend8090 "$NS_S" "$PY" "$W/backend8090.py"
    BACKEND_PID=${SERVER_PIDS[-1]}
    wait_until "nginx on :8888" 15 listening "$NS_S" t 8888
    wait_until "python backend on 127.0.0.1:8090" 15 listening "$NS_S" t 8090
    flush_neighbours
    start_capture http9 "$NS_C" tcpdump -i "$IF_C" -s 0 -B 65536 -U --immediate-mode -n -Z root \
        -w "$W/out/http-nginx-port8888-wget.pcap"
    B9="http://$V4_S:8888"
    B96="http://[$V6_S]:8888"
    # wget over IPv4: one keep-alive connection for all five URLs; /old answers 301 and wget follows its Location
    inc wget -nv --tries=1 --timeout=10 -O /dev/null "$B9/" "$B9/style.css" "$B9/app.js" "$B9/img/dot.svg" "$B9/old" \
        2>&1 | sed 's/^/    wget: /' >&2
    # wget over IPv6: one keep-alive connection, the last URL a 404 (for which wget exits with 8)
    { inc wget -nv --tries=1 --timeout=10 -O /dev/null "$B96/" "$B96/report.txt" "$B96/nothing-here" 2>&1 \
        || [ $? -eq 8 ]; } | sed 's/^/    wget: /' >&2
    # curl over IPv4, one keep-alive connection: HEAD; 304 for If-Modified-Since and for If-None-Match; a form
    # POST (201); a 2 KiB POST with Expect: 100-continue (nginx answers 100 Continue, then 200); a chunked
    # request body (nginx de-chunks it for the backend); an SSI page sent chunked with a trailer field
    ETAG=$(printf '"%x-%x"' "$(stat -c %Y "$W/www8888/style.css")" "$(stat -c %s "$W/www8888/style.css")")
    NX=(--next -sS --max-time 10 --http1.1 -w "$FMT" -o /dev/null)
    inc curl -sS --max-time 10 --http1.1 -w "$FMT" -o /dev/null -I "$B9/report.txt" \
        "${NX[@]}" -H 'If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT' "$B9/report.txt" \
        "${NX[@]}" -H "If-None-Match: $ETAG" "$B9/style.css" \
        "${NX[@]}" --data-binary 'name=pcapforge&kind=golden-test&port=8888' "$B9/api/submit" \
        "${NX[@]}" -H 'Expect: 100-continue' -H 'Content-Type: text/plain' \
            --data-binary @"$W/bodies/upload-2k.txt" "$B9/api/upload" \
        "${NX[@]}" -H 'Transfer-Encoding: chunked' -H 'Expect:' -H 'Content-Type: application/json' \
            --data-binary @"$W/bodies/upload.json" "$B9/api/upload-chunked" \
        "${NX[@]}" "$B9/page.shtml" >&2
    # python3 sockets: two pipelined requests in one segment (the second asks to close); then a request body in
    # two chunks sent 50 ms apart, ending with a trailer field
    inc "$PY" - "$V4_S" 8888 <<'EOF'
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
head = b"Host: www.pcapforge.test:8888\r\nUser-Agent: pcapforge-raw-client/1.0\r\n"
def drain(s):
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            return data
        data += b
def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"
s = socket.create_connection((host, port), timeout=10)
s.sendall(b"GET /style.css HTTP/1.1\r\n" + head + b"\r\n" +
          b"GET /app.js HTTP/1.1\r\n" + head + b"Connection: close\r\n\r\n")
r = drain(s)
s.close()
print("    pipelined: %d responses, %d bytes" % (r.count(b"HTTP/1.1 200 OK"), len(r)), file=sys.stderr)
s = socket.create_connection((host, port), timeout=10)
s.sendall(b"POST /api/upload-trailer HTTP/1.1\r\n" + head +
          b"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Upload-Note\r\nConnection: close\r\n\r\n" +
          chunk(b"first chunk of a streamed upload\n"))
time.sleep(0.05)
s.sendall(chunk(b"second and last chunk\n") + b"0\r\nX-Upload-Note: two chunks\r\n\r\n")
r = drain(s)
s.close()
print("    chunked upload with trailer: " + r.split(b"\r\n", 1)[0].decode(), file=sys.stderr)
EOF
    stop_capture
    stop_server "$NGINX8888_PID"
    stop_server "$BACKEND_PID"
fi

# ------------------------------------------------------------------------- [10] ssh-port2222.pcapng
if want 10; then
    log "[10] ssh-port2222.pcapng"
    start_server sshd2222 "$NS_S" /usr/sbin/sshd -D -e -f "$W/ssh/sshd2222_config"
    SSHD2222_PID=${SERVER_PIDS[-1]}
    wait_until "sshd on :2222" 15 listening "$NS_S" t 2222
    flush_neighbours
    start_capture ssh2222 "$NS_C" dumpcap -q -i "$IF_C" -w "$W/out/ssh-port2222.pcapng"
    SSH2222=(ssh -F /dev/null -p 2222 -o BatchMode=yes -o IdentitiesOnly=yes -o UserKnownHostsFile="$W/ssh/known_hosts2222"
             -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o ConnectTimeout=10 -o LogLevel=ERROR)
    # 1: IPv4, a key sshd does not know; client proposes only ecdh-sha2-nistp256, aes128-ctr and hmac-sha2-256
    if inc "${SSH2222[@]}" -i "$W/ssh/stranger_ed25519" -o KexAlgorithms=ecdh-sha2-nistp256 -o Ciphers=aes128-ctr \
            -o MACs=hmac-sha2-256 root@"$V4_S" true </dev/null 2>"$W/ssh2222-1.err"; then
        die "ssh with an unknown key logged in"
    fi
    sed 's/^/    ssh 1: /' "$W/ssh2222-1.err" >&2
    # 2: IPv6, as "nobody" with public-key and password methods off: only "none" is tried, and refused
    if inc "${SSH2222[@]}" -o PubkeyAuthentication=no -o PasswordAuthentication=no \
            -o KbdInteractiveAuthentication=no nobody@"$V6_S" true </dev/null 2>"$W/ssh2222-2.err"; then
        die "ssh without any authentication method logged in"
    fi
    sed 's/^/    ssh 2: /' "$W/ssh2222-2.err" >&2
    # 3: IPv4, the authorized key; runs a command
    SSH_OUT=$(inc "${SSH2222[@]}" -i "$W/ssh/client_ed25519" root@"$V4_S" 'echo pcapforge on port 2222' </dev/null)
    echo "    ssh 3 output: $SSH_OUT" >&2
    [ "$SSH_OUT" = "pcapforge on port 2222" ] || die "ssh on port 2222 did not print the expected line"
    stop_capture
    stop_server "$SSHD2222_PID"
fi

# -------------------------------------------------------------- [11] smtp-plain-2-transactions.pcap
if want 11; then
    if [ "${SKIP_SMTP:-0}" != 1 ] && command -v postfix >/dev/null && command -v swaks >/dev/null; then
        log "[11] smtp-plain-2-transactions.pcap"
        SASL_MAIN=()
        SASL_MASTER=()
        SWAKS_AUTH=()
        if command -v saslpasswd2 >/dev/null; then
            # Cyrus SASL: a sasldb in the work folder, named by a temporary /etc/postfix/sasl/smtpd.conf (the
            # system's own one, if any, is put back afterwards); smtpd runs without its chroot (master.cf,
            # restored afterwards) so that it can open the sasldb there
            mkdir -p "$W/sasl" /etc/postfix/sasl
            chmod 755 "$W/sasl"
            echo 'pcapforge-secret' | saslpasswd2 -p -c -f "$W/sasl/sasldb2" -u mail.pcapforge.test alice
            chgrp postfix "$W/sasl/sasldb2"
            chmod 640 "$W/sasl/sasldb2"
            if [ -f "$SASL_CONF" ]; then cp -p "$SASL_CONF" "$SASL_CONF_BACKUP"; fi
            : >"$SASL_CONF_CREATED"
            printf '%s\n' 'pwcheck_method: auxprop' 'auxprop_plugin: sasldb' 'mech_list: PLAIN LOGIN' \
                "sasldb_path: $W/sasl/sasldb2" >"$SASL_CONF"
            SASL_MAIN=("smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = cyrus" "smtpd_sasl_path = smtpd"
                       "smtpd_sasl_local_domain = mail.pcapforge.test")
            SASL_MASTER=("smtp/inet/chroot = n")
            SWAKS_AUTH=(--auth PLAIN --auth-user alice --auth-password pcapforge-secret)
        else
            log "    saslpasswd2 (package sasl2-bin) missing: recording without AUTH"
        fi
        # no STARTTLS offered: everything stays cleartext; Postfix logs to $W/postfix11-maillog (for KEEP_WORK=1)
        postfix_begin 11 "${POSTFIX_BASE[@]}" "smtpd_tls_security_level = none" \
            "maillog_file_prefixes = $W" "maillog_file = $W/postfix11-maillog" \
            "${SASL_MAIN[@]}" "${SASL_MASTER[@]/#/F:}"
        flush_neighbours
        start_capture smtp11 "$NS_C" tcpdump -i "$IF_C" -s 0 -B 65536 -U --immediate-mode -n -Z root \
            -w "$W/out/smtp-plain-2-transactions.pcap"
        # session 1: swaks, AUTH PLAIN, then MAIL/RCPT/DATA sent pipelined (PIPELINING)
        inc swaks --server "$V4_S" --port 25 --ehlo client.pcapforge.test --from alice@client.pcapforge.test \
            --to root@mail.pcapforge.test "${SWAKS_AUTH[@]}" --pipeline --timeout 20 \
            --header "Subject: PcapForge plain SMTP with AUTH" --header "Date: Mon, 01 Jan 2024 00:00:00 +0000" \
            --header "Message-Id: <golden-2@client.pcapforge.test>" \
            --body "Hello again from the PcapForge capture recorder, this time without TLS." >"$W/swaks11.log" 2>&1 \
            || { cat "$W/swaks11.log" >&2; die "swaks failed"; }
        grep -E '^ ?(<-|->|<~|~>) +(AUTH|235|MAIL|250 2\.1\.0)' "$W/swaks11.log" | sed 's/^/    /' >&2
        # session 2: python3 smtplib, two mail transactions in one session; one recipient is refused
        inc "$PY" - "$V4_S" <<'EOF'
import smtplib, sys
host = sys.argv[1]
msg1 = (b"From: Bob Example <bob@client.pcapforge.test>\r\n"
        b"To: root@mail.pcapforge.test, nosuchuser@mail.pcapforge.test\r\n"
        b"Cc: postmaster@mail.pcapforge.test\r\n"
        b"Subject: PcapForge transaction 1 of 2\r\n"
        b"Date: Mon, 01 Jan 2024 00:00:01 +0000\r\n"
        b"Message-ID: <golden-3@client.pcapforge.test>\r\n"
        b"X-Mailer: pcapforge-smtplib/1.0\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"\r\n"
        b"First message of two in one SMTP session.\r\n"
        b".A line that starts with a dot (dot-stuffed on the wire).\r\n")
msg2 = (b"From: Bob Example <bob@client.pcapforge.test>\r\n"
        b"To: postmaster@mail.pcapforge.test\r\n"
        b"Subject: PcapForge transaction 2 of 2\r\n"
        b"Date: Mon, 01 Jan 2024 00:00:02 +0000\r\n"
        b"Message-ID: <golden-4@client.pcapforge.test>\r\n"
        b"User-Agent: pcapforge-smtplib/1.0\r\n"
        b"\r\n"
        b"Second message of the same session.\r\n")
s = smtplib.SMTP(host, 25, local_hostname="client.pcapforge.test", timeout=20)
refused = s.sendmail("bob@client.pcapforge.test", ["root@mail.pcapforge.test", "nosuchuser@mail.pcapforge.test",
                                                   "postmaster@mail.pcapforge.test"], msg1)
print("    transaction 1 refused: %r" % refused, file=sys.stderr)
s.sendmail("bob@client.pcapforge.test", ["postmaster@mail.pcapforge.test"], msg2)
print("    transaction 2 accepted", file=sys.stderr)
s.quit()
EOF
        stop_capture
        postfix_end
    else
        log "[11] smtp-plain-2-transactions.pcap skipped (SKIP_SMTP=1, or postfix/swaks missing)"
    fi
fi

# ------------------------------------------------------------------------ [12] dns-dig-udp-tcp.pcap
if want 12; then
    log "[12] dns-dig-udp-tcp.pcap"
    if [ -n "$DNSMASQ_PID" ]; then stop_server "$DNSMASQ_PID"; DNSMASQ_PID=; fi   # [3]'s, on the same port
    # authoritative for pcapforge.test and the reverse zones of both subnets; AXFR allowed to the client. The
    # PTR records come from --host-record (dnsmasq 2.90 does not serve --ptr-record from an --auth-zone)
    start_server dnsmasq12 "$NS_S" dnsmasq --no-daemon --conf-file=/dev/null --bind-interfaces \
        --listen-address="$V4_S" --listen-address="$V6_S" --except-interface=lo --no-resolv --no-hosts \
        --auth-server=ns1.pcapforge.test,"$V4_S","$V6_S" \
        --auth-zone=pcapforge.test,10.203.0.0/24,fd00:203::/64 \
        --auth-soa=2024010101,hostmaster.pcapforge.test,3600,600,86400 --auth-peer="$V4_C" \
        --host-record=www.pcapforge.test,"$V4_S","$V6_S" --host-record=mail.pcapforge.test,"$V4_S" \
        --cname=web.pcapforge.test,www.pcapforge.test \
        --mx-host=pcapforge.test,mail.pcapforge.test,10 \
        --txt-record=pcapforge.test,"v=spf1 ip4:10.203.0.0/24 -all" \
        --txt-record=info.pcapforge.test,"PcapForge golden capture","a second string" \
        --srv-host=_http._tcp.pcapforge.test,www.pcapforge.test,8888,0,10 \
        --host-record=client.pcapforge.test,"$V4_C" \
        --pid-file= --log-queries --log-facility=-
    DNSMASQ12_PID=${SERVER_PIDS[-1]}
    wait_until "dnsmasq on :53/udp" 15 listening "$NS_S" u 53
    wait_until "dnsmasq on :53/tcp" 15 listening "$NS_S" t 53
    flush_neighbours
    start_capture dns12 "$NS_C" tcpdump -i "$IF_C" -s 0 -B 65536 -U --immediate-mode -n -Z root \
        -w "$W/out/dns-dig-udp-tcp.pcap"
    dq() { # DIG_ARGS... : one dig run, its status and answer lines logged
        inc dig +tries=1 +time=2 "$@" >"$W/dig.out" || die "dig $* failed"
        grep -E 'status:|^[^;[:space:]].*[[:space:]]IN[[:space:]]' "$W/dig.out" | sed 's/^/    /' >&2
    }
    # UDP; dig's default query carries EDNS (OPT, 1232 bytes, a cookie); +noedns ones carry none
    dq @"$V4_S" www.pcapforge.test A
    dq @"$V4_S" +noedns www.pcapforge.test AAAA
    dq @"$V6_S" www.pcapforge.test AAAA
    dq @"$V4_S" +noedns web.pcapforge.test A
    dq @"$V4_S" pcapforge.test MX
    dq @"$V4_S" +noedns pcapforge.test TXT
    dq @"$V4_S" info.pcapforge.test TXT
    dq @"$V4_S" +bufsize=4096 +nsid +nocookie _http._tcp.pcapforge.test SRV
    dq @"$V4_S" -x "$V4_S"
    dq @"$V4_S" +noedns -x "$V4_C"
    dq @"$V4_S" -x "$V6_S"
    dq @"$V4_S" pcapforge.test SOA
    dq @"$V4_S" pcapforge.test NS
    dq @"$V4_S" nosuchhost.pcapforge.test A
    dq @"$V4_S" +noedns www.example.test A
    # TCP: one query per connection, then two on one kept-open connection, an NXDOMAIN, and a zone transfer
    dq @"$V4_S" +tcp www.pcapforge.test A
    dq @"$V4_S" +tcp +keepopen pcapforge.test SOA pcapforge.test MX
    dq @"$V4_S" +tcp +noedns nothing.pcapforge.test TXT
    dq @"$V4_S" +tcp pcapforge.test AXFR
    stop_capture
    stop_server "$DNSMASQ12_PID"
fi

# --------------------------------------------------------------------------- [6] compressed copies
# ------------------------------------------------------------------------ [13] nflog-lo.pcap
# What an iptables/ip6tables NFLOG rule logs (LINKTYPE_NFLOG), captured with tcpdump -i nflog:13 in the loopback-only
# namespace: the rules log every packet leaving on lo (so both directions of each exchange), with a prefix.
if want 13; then
    log "[13] nflog-lo.pcap"
    start_server pyhttpnflog "$NS_L" "$PY" -m http.server 8001 --bind :: --directory "$W/www"
    PYHTTPNFLOG_PID=${SERVER_PIDS[-1]}
    wait_until "python http.server on [::]:8001" 15 listening "$NS_L" t 8001
    for tables in iptables ip6tables; do
        inl "$tables" -w -I OUTPUT 1 -o lo -j NFLOG --nflog-group 13 --nflog-prefix pcapforge-nflog
    done
    start_capture nflog "$NS_L" tcpdump -i nflog:13 -s 0 -U --immediate-mode -n -Z root -w "$W/out/nflog-lo.pcap"
    inl curl -sS --max-time 10 -A "$UA" -w "$FMT" -o /dev/null http://127.0.0.1:8001/ >&2
    inl curl -sS --max-time 10 -A "$UA" -w "$FMT" -o /dev/null -g 'http://[::1]:8001/style.css' >&2
    # three datagrams to a port nobody listens on: each gets an ICMP port unreachable, logged too
    inl "$PY" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); [s.sendto(b"pcapforge %d" % i, ("127.0.0.1", 9)) for i in range(3)]'
    sleep 1.5   # nfnetlink_log hands its queue to the capturer after up to a second (its default flush timeout)
    stop_capture
    for tables in iptables ip6tables; do
        inl "$tables" -w -D OUTPUT -o lo -j NFLOG --nflog-group 13 --nflog-prefix pcapforge-nflog
    done
    stop_server "$PYHTTPNFLOG_PID"
fi

if want 6; then
    log "[6] compressed copies"
    # of the capture recorded in this run, or else of the committed one
    for f in http-keepalive-veth.pcap mixed-2ifaces.pcapng; do
        [ -f "$W/out/$f" ] || cp -p "$OUT_DIR/$f" "$W/$f"
    done
    src() { if [ -f "$W/out/$1" ]; then echo "$W/out/$1"; else echo "$W/$1"; fi; }
    gzip -n -9 -c "$(src http-keepalive-veth.pcap)" >"$W/out/http-keepalive-veth.pcap.gz"
    zstd -q -19 -c "$(src mixed-2ifaces.pcapng)" >"$W/out/mixed-2ifaces.pcapng.zst"
fi

# ---------------------------------------------------------------------------------- [8] verification
log "[8] verifying captures"
shopt -s nullglob
RECORDED=("$W"/out/*.pcap "$W"/out/*.pcapng)
OUTPUTS=("$W"/out/*)
shopt -u nullglob
[ ${#OUTPUTS[@]} -gt 0 ] || die "nothing was recorded"
# Wireshark finds SSH only on port 22 and HTTP only on its list of HTTP ports: the non-standard ports are
# decoded "as" those protocols for the checks (as a reader of these files with tshark must do too)
TSHARK_DECODE=(-d tcp.port==2222,ssh -d tcp.port==8888,http)
tshark_count() { # FILE DISPLAY_FILTER -> number of matching packets
    tshark -r "$1" "${TSHARK_DECODE[@]}" -Y "$2" 2>/dev/null | wc -l
}
expect() { # FILE DISPLAY_FILTER...: every filter must match at least one packet
    local f=$1 flt n; shift
    for flt in "$@"; do
        n=$(tshark_count "$f" "$flt")
        [ "$n" -gt 0 ] || die "$(basename "$f"): no packet matches '$flt'"
        printf '    %-26s %-60s %4d packets\n' "$(basename "$f")" "$flt" "$n" >&2
    done
}
expect_n() { # FILE N DISPLAY_FILTER: exactly N packets match
    local n; n=$(tshark_count "$1" "$3")
    [ "$n" -eq "$2" ] || die "$(basename "$1"): $n packets match '$3', expected $2"
    printf '    %-26s %-60s %4d packets (exactly)\n' "$(basename "$1")" "$3" "$n" >&2
}
expect_none() { # FILE DISPLAY_FILTER
    local n; n=$(tshark_count "$1" "$2")
    [ "$n" -eq 0 ] || die "$(basename "$1"): $n packets match '$2'"
}
recorded() { [ -f "$W/out/$1" ]; }   # FILE: recorded by this run
for f in "${RECORDED[@]}"; do
    capinfos "$f" >/dev/null || die "capinfos cannot read $f"
    tshark -r "$f" -q >/dev/null 2>"$W/tshark.err" || { cat "$W/tshark.err" >&2; die "tshark cannot read $f"; }
    # every packet stays inside our own address space
    expect_none "$f" 'ip && !(ip.addr == 10.203.0.0/24 || ip.addr == 127.0.0.0/8)'
    expect_none "$f" 'ipv6 && !(ipv6.addr == fd00:203::/64 || ipv6.addr == fe80::/10 || ipv6.addr == ::1 || ipv6.dst == ff02::/16)'
done
if recorded http-keepalive-veth.pcap; then
    expect "$W/out/http-keepalive-veth.pcap" 'arp' 'http.request.method == "GET"' 'http.request.method == "POST"' \
        'http.response.code == 404' 'http.response.code == 201' 'http.transfer_encoding == "chunked"' \
        'http.content_encoding == "gzip"' 'frame.len > 1500'
    expect_n "$W/out/http-keepalive-veth.pcap" 1 'tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect_none "$W/out/http-keepalive-veth.pcap" 'frame.len > 1514'
fi
recorded http-ipv6-nsec.pcap && expect "$W/out/http-ipv6-nsec.pcap" 'icmpv6.type == 135' 'ipv6 && http.request' \
    'tcp.port == 8080 && http' 'http.response.code == 404' 'http.request.method == "HEAD"'
recorded mixed-2ifaces.pcapng && expect "$W/out/mixed-2ifaces.pcapng" 'frame.interface_id == 0' \
    'frame.interface_id == 1' 'icmp.type == 8' 'icmp.type == 0' 'icmpv6.type == 128' 'icmpv6.type == 129' \
    'dns.flags.response == 1 && dns.a' 'dns.aaaa' 'dns.flags.rcode == 3' 'http.request' 'udp.port == 5005' \
    'icmp.type == 3'
recorded ssh-session.pcapng && expect "$W/out/ssh-session.pcapng" 'ssh.protocol' 'ssh.message_code == 20'
recorded loopback-any-sll2.pcap && expect "$W/out/loopback-any-sll2.pcap" 'sll.ifindex' 'http.request' \
    'http.response.code == 200'
recorded smtp-starttls.pcap && expect "$W/out/smtp-starttls.pcap" 'smtp.req.command == "EHLO"' \
    'smtp.req && smtp contains "STARTTLS"' 'tls.handshake.type == 1'
if recorded http-nginx-port8888-wget.pcap; then
    F9="$W/out/http-nginx-port8888-wget.pcap"
    expect "$F9" 'arp' 'icmpv6.type == 135' 'tcp.port == 8888 && http.request' 'ipv6 && tcp.port == 8888 && http.request' \
        'http.user_agent contains "Wget"' 'http.user_agent contains "curl"' 'http.request.method == "HEAD"' \
        'http.request.method == "POST"' 'http.request.line contains "Expect: 100-continue"' \
        'http.response.code == 100' 'http.response.code == 201' 'http.response.code == 304' \
        'http.response.code == 301 && http.location' 'http.response.code == 404' \
        'http.request && http.transfer_encoding == "chunked"' 'http.response && http.transfer_encoding == "chunked"' \
        'http.chunked_trailer_part' 'count(http.request.method) == 2'
    expect_n "$F9" 5 'tcp.flags.syn == 1 && tcp.flags.ack == 0'   # wget v4, wget v6, curl, pipelined, trailer
    expect_none "$F9" 'frame.len > 1514'
    expect_none "$F9" '!(tcp.port == 8888) && !arp && !icmpv6'
fi
if recorded ssh-port2222.pcapng; then
    F10="$W/out/ssh-port2222.pcapng"
    expect "$F10" 'arp' 'tcp.port == 2222 && ssh.protocol' 'ipv6 && ssh.protocol' 'ssh.message_code == 20' \
        'ssh.kex.hassh'
    expect_n "$F10" 3 'tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect_n "$F10" 6 'ssh.protocol'    # both banners of each of the three connections
    expect_none "$F10" '!(tcp.port == 2222) && !arp && !icmpv6'
fi
if recorded smtp-plain-2-transactions.pcap; then
    F11="$W/out/smtp-plain-2-transactions.pcap"
    expect "$F11" 'arp' 'smtp.req.command == "EHLO"' 'smtp.req.command == "RCPT"' 'smtp.response.code == 550' \
        'smtp.req.command == "QUIT"' 'imf.cc' 'imf.message_id' 'imf.ext.mailer' 'imf.user_agent' 'count(smtp.req.command) > 1'
    expect_n "$F11" 2 'tcp.flags.syn == 1 && tcp.flags.ack == 0'
    # two transactions in the session from smtplib (the second TCP stream; smtplib writes its commands in lower
    # case: "ehlo", "mail", "rcpt", "data", "quit"), one in swaks' session
    expect_n "$F11" 2 'tcp.stream == 1 && smtp.req.command == "mail"'
    expect_n "$F11" 3 'smtp.req.command matches "^(?i)mail$"'
    expect_n "$F11" 5 'smtp.req.command matches "^(?i)rcpt$"'   # 1 + 3 + 1
    expect_n "$F11" 3 'imf'
    expect_none "$F11" 'tls || smtp.req.command == "STARTTLS"'
    expect_none "$F11" 'smtp && smtp contains "STARTTLS"'
    if [ "$(tshark_count "$F11" 'smtp.req.command == "AUTH"')" -gt 0 ]; then
        expect "$F11" 'smtp.req.command == "AUTH" && smtp.req.parameter contains "PLAIN"' 'smtp.auth.username_password' \
            'smtp.response.code == 235'
    fi
fi
if recorded nflog-lo.pcap; then
    expect "$W/out/nflog-lo.pcap" 'nflog' 'nflog.prefix == "pcapforge-nflog"' 'ip && http.request' 'ipv6 && http.request' \
        'udp.dstport == 9' 'icmp.type == 3'
    expect_n "$W/out/nflog-lo.pcap" 2 'tcp.flags.syn == 1 && tcp.flags.ack == 0'
    expect_n "$W/out/nflog-lo.pcap" 3 'udp.dstport == 9 && !icmp'
fi
if recorded dns-dig-udp-tcp.pcap; then
    F12="$W/out/dns-dig-udp-tcp.pcap"
    expect "$F12" 'arp' 'udp && dns' 'tcp && dns' 'ipv6 && dns' 'dns.qry.type == 1' 'dns.qry.type == 28' 'dns.cname' \
        'dns.qry.type == 15' 'dns.qry.type == 16' 'dns.qry.type == 33' 'dns.qry.type == 12' 'dns.qry.type == 6' \
        'dns.qry.type == 2' 'dns.qry.type == 252' 'dns.flags.rcode == 3' 'dns.flags.rcode == 5' \
        'tcp && dns.flags.rcode == 3' 'dns.flags.authoritative == 1' 'dns.soa.mname' 'dns.srv.port == 8888' \
        'dns.mx.mail_exchange' 'dns.txt' 'dns.ptr.domain_name' \
        'dns.flags.response == 0 && dns.resp.type == 41' 'dns.flags.response == 0 && !(dns.resp.type == 41)' \
        'dns.rr.udp_payload_size == 4096'
    expect_none "$F12" '!(udp.port == 53 || tcp.port == 53) && !arp && !icmpv6'
    expect_n "$F12" 3 'dns.flags.response == 1 && dns.qry.type == 12 && dns.ptr.domain_name'
    expect_n "$F12" 2 'dns.flags.rcode == 3'
    expect "$F12" 'dns.txt == "a second string"'
    # two queries on one TCP connection (+keepopen)
    [ "$(tshark -r "$F12" -Y 'tcp && dns.flags.response == 0' -T fields -e tcp.stream 2>/dev/null | sort | uniq -d | wc -l)" -ge 1 ] \
        || die "dns-dig-udp-tcp.pcap: no TCP connection carries two queries"
fi
if recorded http-keepalive-veth.pcap.gz; then
    gzip -t "$W/out/http-keepalive-veth.pcap.gz"
    zstd -q -t "$W/out/mixed-2ifaces.pcapng.zst"
    cmp <(gzip -dc "$W/out/http-keepalive-veth.pcap.gz") "$(src http-keepalive-veth.pcap)"
    cmp <(zstd -qdc "$W/out/mixed-2ifaces.pcapng.zst") "$(src mixed-2ifaces.pcapng)"
fi

# ---------------------------------------------------------------------------- install + README.md
INSTALLED=()
for f in "$W"/out/*; do
    install -m 0644 "$f" "$OUT_DIR/$(basename "$f")"
    INSTALLED+=("$(basename "$f")")
done

readme_row() { # FILE SECTION FORMAT LINKTYPES TRAFFIC: one table row, from the file now in testdata/
    local f=$1 cap=$1 info packets first last order
    case "$f" in *.gz) cap=${f%.gz} ;; *.zst) cap=${f%.zst} ;; esac
    info=$(capinfos -M -T -r -c -a -e -o "$OUT_DIR/$cap")   # file, packets, first, last, time order (tab separated)
    packets=$(cut -f2 <<<"$info"); first=$(cut -f3 <<<"$info"); last=$(cut -f4 <<<"$info"); order=$(cut -f5 <<<"$info")
    case "$order" in True) order=yes ;; False) order="**no**" ;; esac
    printf '| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$f" "$(stat -c %s "$OUT_DIR/$f")" "$2" "$3" "$4" "$5" \
        "$packets" "$first / $last" "$order"
}
row_if_present() { # FILE ...: readme_row for a file that is in testdata/ (recorded now or earlier)
    if [ -f "$OUT_DIR/$1" ]; then readme_row "$@"; fi
}
{
cat <<'EOF'
# Golden captures

Real traffic recorded by [`record.sh`](record.sh) (run by hand as root; **not** run in CI: the files are committed).
Every packet was exchanged between network namespaces the script creates (`pfcli` 10.203.0.1 / fd00:203::1 ↔
`pfsrv` 10.203.0.2 / fd00:203::2 over the veth pair `pf-c0`/`pf-s0` with MACs 02:00:0a:cb:00:01 / :02, and a
loopback-only namespace `pflo`); no other address is involved, and no capture ran in the host's own namespace.
Re-running the script without arguments regenerates all files and this README; `record.sh 9 10 11 12` (section
numbers, see the table) re-records only those files and leaves the others byte for byte as they are. Ports, TCP
sequence numbers, keys and timestamps change on every recording. The web roots are fixed (generated by the
script, mtime 2024-01-01T00:00:00Z).

Notes for tests:

- The veth ends have TSO/GSO/GRO and TX checksum offload turned off, so Ethernet frames are at most 1514 bytes
  and their IPv4/TCP/UDP checksums are valid. Loopback (`lo`, in `mixed-2ifaces.pcapng` interface 1 and in
  `loopback-any-sll2.pcap`) keeps the kernel defaults: its TCP/UDP checksums are left to "offload" and are
  **wrong** in the capture, as in any real Linux loopback capture.
- `dumpcap` with two interfaces writes each interface's packets in batches, so `mixed-2ifaces.pcapng` may not
  be in strict time order (column "time order" = `capinfos -o`); a reader must not assume sorted timestamps.
- `smtp-starttls.pcap` ends with a TCP RST from the client (swaks closes its socket before reading the TLS
  close_notify after QUIT), as it happened.
- Non-standard ports: HTTP on 8888 (`http-nginx-port8888-wget.pcap`) and SSH on 2222 (`ssh-port2222.pcapng`).
  tshark decodes them only when told (`-d tcp.port==8888,http -d tcp.port==2222,ssh`); a dissector that detects
  protocols by content must find them without that.
EOF
cat <<'EOF'

Packet counts and times are from `capinfos -M -T -c -a -e -o` (times in UTC). For the compressed copies they are
those of the uncompressed file they were made from. "made by" names the `[N]` section of `record.sh`.

| file | bytes | made by | format | link type(s) | traffic | packets | first / last packet | time order |
| --- | ---: | --- | --- | --- | --- | ---: | --- | --- |
EOF
row_if_present http-keepalive-veth.pcap "[1] tcpdump -i pf-c0" "pcap, µs" "EN10MB (Ethernet)" \
    "ARP; one HTTP/1.1 keep-alive TCP connection to nginx: GET /, /style.css, /data/lorem.txt (20100 B), /data/blob.bin (16384 B), 404 for /missing.html, POST /api/submit (JSON, 201), GET /chunked.shtml (SSI, chunked), GET /data/lorem.txt with Accept-Encoding gzip (chunked + gzip); client FIN"
row_if_present http-ipv6-nsec.pcap "[2] tcpdump --time-stamp-precision=nano -i pf-c0" "pcap, ns" "EN10MB (Ethernet)" \
    "IPv6 neighbour discovery; HTTP/1.1 over IPv6 to nginx on :80 (one keep-alive connection: GET /, /data/blob.bin, 404); python3 http.server (HTTP/1.0, one connection per request) on :8080: directory listing, /data/lorem.txt, 404, HEAD"
row_if_present mixed-2ifaces.pcapng "[3] dumpcap -i pf-c0 -i lo" "pcapng, ns, 2 IDBs" "EN10MB on both (IDB 0 pf-c0, IDB 1 lo)" \
    "pf-c0: ARP, ICMP echo ×3, ICMPv6 echo ×3 with neighbour discovery, DNS to dnsmasq (A over IPv4, AAAA over IPv6, NXDOMAIN), HTTP GET to nginx, UDP to a closed port + ICMP port unreachable; lo: HTTP/1.0 GET to python http.server :8081, UDP echo 5006↔5005 ×3"
row_if_present ssh-session.pcapng "[4] dumpcap -i pf-c0" "pcapng, ns, 1 IDB" "EN10MB (Ethernet)" \
    "ARP; SSH-2 session to OpenSSH sshd: banners, key exchange, ed25519 public-key login as root, runs \`echo hi\`, exits"
row_if_present loopback-any-sll2.pcap "[5] tcpdump -i any (namespace pflo)" "pcap, µs" "LINUX_SLL2 (cooked v2)" \
    "two HTTP/1.0 GETs (/, /style.css) on 127.0.0.1 to python http.server :8000, one connection each"
row_if_present http-keepalive-veth.pcap.gz "[6] gzip -n -9" "gzip of the pcap" "EN10MB (Ethernet)" \
    "byte-identical copy of http-keepalive-veth.pcap"
row_if_present mixed-2ifaces.pcapng.zst "[6] zstd -19" "zstd of the pcapng" "EN10MB on both" \
    "byte-identical copy of mixed-2ifaces.pcapng"
row_if_present smtp-starttls.pcap "[7] tcpdump -i pf-c0" "pcap, µs" "EN10MB (Ethernet)" \
    "ARP; SMTP from swaks to Postfix: banner, EHLO, STARTTLS, then TLS 1.3 (snakeoil certificate) carrying EHLO/MAIL/RCPT/DATA/QUIT"
row_if_present http-nginx-port8888-wget.pcap "[9] tcpdump -i pf-c0" "pcap, µs" "EN10MB (Ethernet)" \
    "ARP, IPv6 neighbour discovery; HTTP/1.1 to nginx on port 8888 in five TCP connections. (1) wget, IPv4, keep-alive: GET /, /style.css, /app.js, /img/dot.svg, /old → 301 with Location, GET /new. (2) wget, IPv6, keep-alive: GET /, /report.txt (4416 B), 404. (3) curl, IPv4, keep-alive: HEAD /report.txt; 304 for If-Modified-Since; 304 for If-None-Match; form POST /api/submit (201); POST /api/upload of 2048 B with \`Expect: 100-continue\` (100 Continue, then 200); POST /api/upload-chunked with a chunked request body; GET /page.shtml (SSI, chunked response with trailer \`X-Pcapforge-Trailer\`). (4) python3 socket: two pipelined GETs (/style.css, /app.js) in one segment, the second with Connection: close. (5) python3 socket: POST /api/upload-trailer, request body in two chunks sent 50 ms apart plus trailer \`X-Upload-Note\`. POST bodies are answered by a python3 backend behind nginx (JSON with size and SHA-256 of the body)"
row_if_present ssh-port2222.pcapng "[10] dumpcap -i pf-c0" "pcapng, ns, 1 IDB" "EN10MB (Ethernet)" \
    "ARP, IPv6 neighbour discovery; three SSH-2 connections to OpenSSH sshd on port 2222: (1) IPv4, client offers only ecdh-sha2-nistp256 / aes128-ctr / hmac-sha2-256, an ed25519 key the server does not know: refused; (2) IPv6, user nobody with no method but \`none\`: refused; (3) IPv4, default algorithms, ed25519 key login as root, runs \`echo pcapforge on port 2222\`"
if [ -f "$OUT_DIR/smtp-plain-2-transactions.pcap" ]; then
    if [ "$(tshark_count "$OUT_DIR/smtp-plain-2-transactions.pcap" 'smtp.req.command == "AUTH"')" -gt 0 ]; then
        SMTP11_AUTH="AUTH PLAIN as alice (password pcapforge-secret, 235), "
    else
        SMTP11_AUTH="(no AUTH: saslpasswd2 was missing when it was recorded) "
    fi
    readme_row smtp-plain-2-transactions.pcap "[11] tcpdump -i pf-c0" "pcap, µs" "EN10MB (Ethernet)" \
        "ARP; cleartext SMTP to Postfix, which offers no STARTTLS, in two TCP connections. (1) swaks: EHLO, ${SMTP11_AUTH}MAIL/RCPT/DATA sent pipelined (PIPELINING), one message (X-Mailer: swaks), QUIT. (2) python3 smtplib: EHLO, then two mail transactions in one session: MAIL, RCPT root (250), RCPT nosuchuser (550 5.1.1 unknown user), RCPT postmaster (250), DATA with From/To/Cc/Subject/Date/Message-ID/X-Mailer and a dot-stuffed line; MAIL, RCPT, DATA with From/To/Subject/Date/Message-ID/User-Agent; QUIT"
fi
row_if_present nflog-lo.pcap "[13] tcpdump -i nflog:13 (namespace pflo)" "pcap, µs" "NFLOG (Linux netfilter log)" \
    "what iptables and ip6tables NFLOG rules (group 13, prefix pcapforge-nflog) logged of every packet leaving on lo: an HTTP/1.0 GET / over IPv4 and a GET /style.css over IPv6 to python http.server :8001, one connection each; three UDP datagrams to 127.0.0.1:9 and the ICMP port unreachable each got"
row_if_present dns-dig-udp-tcp.pcap "[12] tcpdump -i pf-c0" "pcap, µs" "EN10MB (Ethernet)" \
    "ARP, IPv6 neighbour discovery; dig against dnsmasq, authoritative for pcapforge.test and the reverse zones of 10.203.0.0/24 and fd00:203::/64. UDP: A, AAAA (over IPv4 and over IPv6), A via CNAME, MX, TXT (two records; one with two strings), SRV (EDNS with 4096-byte payload and NSID), PTR (IPv4 ×2, IPv6), SOA, NS, NXDOMAIN (with SOA in authority), REFUSED (name outside the zone); some with EDNS (dig's default OPT with a cookie), some without (+noedns). TCP: A; SOA and MX on one connection; NXDOMAIN; AXFR of pcapforge.test"
cat <<'EOF'

Checks made by `record.sh` section [8] before the files are installed: `capinfos` and `tshark` read every file;
no capturer dropped a packet; no IPv4/IPv6 address outside the namespaces' ranges occurs; each file holds the
protocols listed above (tshark display filters such as `http.transfer_encoding == "chunked"`,
`dns.flags.rcode == 3`, `frame.interface_id == 1`, `ssh.message_code == 20`, `smtp.req && smtp contains "STARTTLS"`,
`http.response.code == 100`, `count(http.request.method) == 2`, `dns.qry.type == 33`, `tcp.port == 2222 && ssh.protocol`);
the counts of TCP connections, of `MAIL` commands and of SSH banners are the ones described; the keep-alive
captures have no frame over 1514 bytes; the compressed copies decompress to the identical bytes.
EOF
} >"$OUT_DIR/README.md"

log "wrote:"
for f in "${INSTALLED[@]}" README.md; do
    printf '    %-34s %8s bytes\n' "$f" "$(stat -c %s "$OUT_DIR/$f")" >&2
done
CAPS=()
for f in "${INSTALLED[@]}"; do case "$f" in *.gz|*.zst) ;; *) CAPS+=("$OUT_DIR/$f") ;; esac; done
if [ ${#CAPS[@]} -gt 0 ]; then
    capinfos -M -T -c -a -e -E -t "${CAPS[@]}" 2>/dev/null | sed "s#$OUT_DIR/##" >&2 || true
fi
