#!/usr/bin/env bash
# Application-dissector overhead: `pcapforge analyze` on the realistic 1 GB capture (bench/README.md, "The realistic
# profile": HTTP with keep-alive and bulk transfers, SSH, SMTP, DNS) with the four application plugins (http, ssh,
# smtp, dns) and without them, timed by hyperfine in alternation on the same file. Issue 5's target: with them,
# within 15 % of without. The same published build serves both: "without" is a copy of it whose plugins/ folder
# lacks the four application plugins (the engine then offers no flow to any stream dissector).
#
#   bench/run-app-overhead.sh            RUNS (default 5) runs each after one warm-up
# Results: bench/data/app-overhead-<UTC time>/ (summary.md, hyperfine JSON, row counts of the application tables).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench-lib.sh
. bench/bench-lib.sh
bench_start app-overhead
RUNS=${RUNS:-5}
SEED=42
BENCH=bench/PcapForge.Bench/bin/Release/net10.0/PcapForge.Bench
WITH=$DATA/pcapforge-with-apps
WITHOUT=$DATA/pcapforge-without-apps
WORK=$(mktemp -d "$ROOT/$DATA/app-overhead-tmp.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
command -v hyperfine >/dev/null || install_pkg hyperfine

log "build the generator and the capture"
dotnet build bench/PcapForge.Bench/PcapForge.Bench.csproj -c Release -nologo -v q -clp:ErrorsOnly
CAPTURE=$DATA/realistic-1g.pcap
generate_capture "$CAPTURE" 1 --seed "$SEED" --profile realistic

log "publish the CLI (self-contained, composite ReadyToRun: bench-lib.sh, publish_cli), and a copy without the application plugins"
rm -rf "$WITHOUT"
publish_cli "$WITH"
cp -a "$WITH" "$WITHOUT"
for p in Http Ssh Smtp Dns; do rm -rf "$WITHOUT/plugins/PcapForge.Dissectors.$p"; done
"$WITHOUT/pcapforge" dissectors list | cut -f1 > "$OUT/without-dissectors.txt"
if grep -qx -e http -e ssh -e smtp -e dns "$OUT/without-dissectors.txt"; then echo "the copy still has an application plugin" >&2; exit 3; fi

settle "$CAPTURE"
log "hyperfine: with and without the application plugins, $RUNS runs each"
hyperfine -N -w 1 -r "$RUNS" --export-json "$OUT/hyperfine.json" \
  -n with "$WITH/pcapforge analyze $CAPTURE --out $WORK/with/ --force --quiet" \
  -n without "$WITHOUT/pcapforge analyze $CAPTURE --out $WORK/without/ --force --quiet" | tee "$OUT/hyperfine.txt"

"$WITH/pcapforge" query "$WORK/with/" "select 'http' as t, count(*) as n from http union all select 'ssh', count(*) from ssh union all select 'smtp', count(*) from smtp union all select 'dns', count(*) from dns union all select 'flows with a service', count(*) from flows where service is not null" > "$OUT/app-rows.txt"
read -r with_mean without_mean < <(jq -r '[.results[] | .mean] | @tsv' "$OUT/hyperfine.json")
overhead=$(awk -v a="$with_mean" -v b="$without_mean" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
{
  echo "# Application dissector overhead, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Capture: $CAPTURE ($(stat -c %s "$CAPTURE") bytes). Machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| build | mean (s) |"
  echo "|---|---:|"
  echo "| with http, ssh, smtp, dns | $(printf %.3f "$with_mean") |"
  echo "| without them | $(printf %.3f "$without_mean") |"
  echo
  echo "Overhead: **${overhead} %** (target: at most 15 %)."
  echo
  echo '```'
  cat "$OUT/app-rows.txt"
  echo '```'
} > "$OUT/summary.md"
cat "$OUT/summary.md"
