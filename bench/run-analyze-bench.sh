#!/usr/bin/env bash
# Analyze benchmark: wall time, CPU use and peak resident memory of `pcapforge analyze` on a realistic 1 GB and
# 3 GB capture (bench/README.md, "The realistic profile"), against tshark's conversation statistics and argus on
# the same files, with the ratios and PASS/MISS against the targets of the analyze issue:
#   analyze >= 3x faster than argus and >= 40x faster than tshark, using both cores;
#   peak RSS < 300 MiB and not growing from the 1 GB to the 3 GB capture.
#
#   bench/run-analyze-bench.sh                 generate the captures if absent, publish the CLI, measure all three
#   bench/run-analyze-bench.sh --peers-only    tshark and argus only (no publish, no pcapforge)
#   bench/run-analyze-bench.sh --sizes 1       only the 1 GB capture (default: --sizes 1,3)
#   bench/run-analyze-bench.sh --clean         delete the generated captures at the end (they take about 4.3 GB)
#
# Environment: RUNS (hyperfine runs of pcapforge and argus, default 5, after one warm-up run), TSHARK_RUNS
# (default 2, no warm-up: tshark takes about 50 s a gigabyte).
# If the published CLI has no working `analyze` verb, the script says so, measures the peers anyway and exits 3.
# Captures go to bench/data/ (gitignored), results to bench/data/analyze-<UTC time>/ (summary.md, hyperfine JSON,
# /usr/bin/time -v reports, tshark's output).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

PEERS_ONLY=0
CLEAN=0
SIZES=1,3
while [ $# -gt 0 ]; do
  case "$1" in
    --peers-only) PEERS_ONLY=1 ;;
    --clean) CLEAN=1 ;;
    --sizes) SIZES=${2:?--sizes needs a value, e.g. 1 or 1,3}; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
IFS=, read -r -a SIZE_LIST <<< "$SIZES"
for s in "${SIZE_LIST[@]}"; do
  case "$s" in 1|3) ;; *) echo "--sizes takes 1, 3 or 1,3 (GiB), not '$s'" >&2; exit 2 ;; esac
done

# shellcheck source=bench-lib.sh
. bench/bench-lib.sh
bench_start analyze
SEED=42
RUNS=${RUNS:-5}
TSHARK_RUNS=${TSHARK_RUNS:-2}
BENCH=bench/PcapForge.Bench/bin/Release/net10.0/PcapForge.Bench
CLI_DIR=$DATA/pcapforge
CLI=$CLI_DIR/pcapforge
WORK=$(mktemp -d "$ROOT/$DATA/analyze-tmp.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- tools -------------------------------------------------------------------------------------------------
# argus (the flow monitor) is in Debian's argus-server; argus-client has ra, which reads argus's records.
[ -x /usr/bin/time ] || install_pkg time
command -v tshark >/dev/null || install_pkg tshark
command -v argus >/dev/null || install_pkg argus-server
command -v ra >/dev/null || install_pkg argus-client
command -v hyperfine >/dev/null || install_pkg hyperfine
command -v jq >/dev/null || install_pkg jq

# --- build -------------------------------------------------------------------------------------------------
log "build the generator (Release)"
dotnet build bench/PcapForge.Bench/PcapForge.Bench.csproj -c Release -nologo -v q -clp:ErrorsOnly

# --- captures ----------------------------------------------------------------------------------------------
log "captures (df before: $(df -h "$DATA" | awk 'NR == 2 { print $4 " free of " $2 }'))"
for s in "${SIZE_LIST[@]}"; do generate_capture "$DATA/realistic-${s}g.pcap" "$s" --seed "$SEED" --profile realistic; done

# --- pcapforge ---------------------------------------------------------------------------------------------
RID=$(dotnet_rid)
HAVE_ANALYZE=0
ANALYZE_ERROR=""
if [ "$PEERS_ONLY" = 0 ]; then
  # Composite ReadyToRun, self-contained (bench-lib.sh, publish_cli): a run spends its time on the capture rather
  # than in the JIT (README, Performance, says how much this saves).
  log "publish the CLI (self-contained, composite ReadyToRun, $RID) to $CLI_DIR"
  publish_cli "$CLI_DIR"
  # A small capture first: does this build have a working analyze verb?
  probe_status=0
  "$CLI" analyze testdata/http-keepalive-veth.pcap --out "$WORK/probe.parquet" --force --quiet > "$OUT/analyze-probe.out" 2>&1 || probe_status=$?
  if [ "$probe_status" = 0 ] && [ -s "$WORK/probe.parquet" ]; then
    HAVE_ANALYZE=1
  else
    # The parser's own word on the verb when it has one ("Unrecognized command or argument 'analyze'"), else the first lines.
    reason=$(grep -m 1 -i "analyze" "$OUT/analyze-probe.out" || head -n 3 "$OUT/analyze-probe.out" | tr '\n' ' ')
    ANALYZE_ERROR="'pcapforge analyze' does not work in this build (probe on testdata/http-keepalive-veth.pcap: exit $probe_status, $( [ -s "$WORK/probe.parquet" ] && echo "output written" || echo "no output file"); $reason; full output in $OUT/analyze-probe.out)"
    echo "ERROR: $ANALYZE_ERROR" >&2
    echo "ERROR: measuring tshark and argus only; the pcapforge targets cannot be checked (exit status 3 at the end)" >&2
  fi
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- measurements ------------------------------------------------------------------------------------------
# measure NAME SIZE WARMUP RUNS CMD: hyperfine times CMD (its stdout to $OUT/NAME-SIZE.out); every run, warm-up
# included, goes through /usr/bin/time -v, whose reports pile up in $OUT/NAME-SIZE.time. Sets R[...] to the mean
# and standard deviation, the largest "Maximum resident set size" (KiB), the mean CPU use in percent and the mean
# CPU time (user + system seconds).
declare -A R
measure() {
  local name=$1 size=$2 warmup=$3 runs=$4 cmd=$5
  local time_file=$OUT/$name-$size.time
  : > "$time_file"
  hyperfine --warmup "$warmup" --runs "$runs" --style basic --export-json "$OUT/hyperfine-$name-$size.json" \
    -n "$name" "/usr/bin/time -a -o $time_file -v $cmd > $OUT/$name-$size.out" | tee -a "$OUT/hyperfine.txt"
  R[mean_${name}_$size]=$(jq -r '.results[0].mean' "$OUT/hyperfine-$name-$size.json")
  R[sd_${name}_$size]=$(jq -r '.results[0].stddev' "$OUT/hyperfine-$name-$size.json")
  R[rss_${name}_$size]=$(awk -F': ' '/Maximum resident set size/ { if ($2 > m) m = $2 } END { print m + 0 }' "$time_file")
  R[cpu_${name}_$size]=$(awk -F': ' '/Percent of CPU this job got/ { sub(/%/, "", $2); s += $2; n++ } END { printf "%.0f", n ? s / n : 0 }' "$time_file")
  R[cpus_${name}_$size]=$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } /Percent of CPU/ { n++ } END { printf "%.3f", n ? s / n : 0 }' "$time_file")
}

for s in "${SIZE_LIST[@]}"; do
  f=$DATA/realistic-${s}g.pcap
  R[bytes_${s}g]=$(stat -c %s "$f")
  R[frames_${s}g]=$(capinfos -c -M "$f" | awk -F': *' '/Number of packets/ { print $2 }')
  log "realistic-${s}g.pcap: ${R[bytes_${s}g]} bytes, ${R[frames_${s}g]} frames; warming the page cache"
  settle "$f"
  if [ "$HAVE_ANALYZE" = 1 ]; then
    log "pcapforge analyze on ${s} GB (hyperfine --warmup 1 --runs $RUNS)"
    measure pcapforge "${s}g" 1 "$RUNS" "$CLI analyze $f --out $WORK/x.parquet --force --quiet"
  fi
  log "argus on ${s} GB (hyperfine --warmup 1 --runs $RUNS)"
  measure argus "${s}g" 1 "$RUNS" "argus -r $f -w /dev/null"
  # One more pass writing argus's records, only to count them with ra (a check that argus saw the traffic).
  argus -r "$f" -w "$WORK/argus.out"
  R[argus_records_${s}g]=$(ra -n -r "$WORK/argus.out" -s proto - 'not man' | awk 'NR > 1' | wc -l)
  rm -f "$WORK/argus.out"
  log "tshark on ${s} GB (hyperfine --runs $TSHARK_RUNS, no warm-up)"
  settle "$f"
  measure tshark "${s}g" 0 "$TSHARK_RUNS" "tshark -n -q -r $f -z conv,tcp -z conv,udp"
  R[tshark_convs_${s}g]=$(grep -c ' <-> ' "$OUT/tshark-${s}g.out" || true)
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- summary -----------------------------------------------------------------------------------------------
have() { [ -n "${R[mean_${1}_$2]:-}" ]; }
cell_time() { if have "$1" "$2"; then awk -v m="${R[mean_${1}_$2]}" -v d="${R[sd_${1}_$2]}" 'BEGIN { printf "%.3f s ± %.3f\n", m, d }'; else echo "n/a"; fi; }
cell_rss() { if have "$1" "$2"; then awk -v k="${R[rss_${1}_$2]}" 'BEGIN { printf "%.1f MiB\n", k / 1024 }'; else echo "n/a"; fi; }
cell_cpu() { if have "$1" "$2"; then echo "${R[cpu_${1}_$2]} %, ${R[cpus_${1}_$2]} s"; else echo "n/a"; fi; }
cpu_ratio() { if have "$1" "$3" && have "$2" "$3"; then awk -v p="${R[cpus_${1}_$3]}" -v o="${R[cpus_${2}_$3]}" 'BEGIN { printf "%.2f\n", p / o }'; else echo "n/a"; fi; }
ratio() { if have "$1" "$3" && have "$2" "$3"; then awk -v p="${R[mean_${1}_$3]}" -v o="${R[mean_${2}_$3]}" 'BEGIN { printf "%.2f\n", p / o }'; else echo "n/a"; fi; }
row() { # label, then one cell per size
  local label=$1; shift
  printf '| %s |' "$label"
  for c in "$@"; do printf ' %s |' "$c"; done
  echo
}
per_size() { local fn=$1; shift; local s; for s in "${SIZE_LIST[@]}"; do "$fn" "$@" "${s}g"; done; }
value() { echo "${R[${1}_$2]:-n/a}"; }
check() { if awk "BEGIN { exit !($2) }"; then echo "- PASS $1"; else echo "- MISS $1"; fi; }
{
  echo "# PcapForge analyze benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(lscpu | awk -F': +' '/Model name/ { print $2 }'), $(uname -r); $(dotnet --version | sed 's/^/.NET SDK /'); $(tshark --version 2>/dev/null | head -n 1); argus $(argus -h 2>&1 | awk '/Argus Version/ { print $3 }'); load average before $LOAD_BEFORE, after $LOAD_AFTER."
  echo "Captures: \`PcapForge.Bench generate --profile realistic --seed $SEED\`, classic pcap (nanosecond), read from the page cache."
  echo "Commands: \`pcapforge analyze FILE --out TMP/x.parquet --force --quiet\` (published Release build), \`argus -r FILE -w /dev/null\` (Debian's /etc/argus.conf), \`tshark -n -q -r FILE -z conv,tcp -z conv,udp\`."
  echo "Times: hyperfine mean ± sd (pcapforge and argus: 1 warm-up, $RUNS runs; tshark: $TSHARK_RUNS runs). RSS: largest \"Maximum resident set size\" of /usr/bin/time -v over those runs. CPU: means of its \"Percent of CPU\" (200 % = both cores busy) and of user + system seconds."
  echo "Note: argus's wall time is its work rounded up to a whole second (it waits on a one-second timer before it exits: 1.0 s on a 6 KB capture with no CPU time), so on 1 GB it takes 1.0 or 2.0 s for about 1.05 s of CPU; the CPU-time ratio shows the work alone."
  [ -n "$ANALYZE_ERROR" ] && { echo; echo "**pcapforge not measured:** $ANALYZE_ERROR"; }
  [ "$PEERS_ONLY" = 1 ] && { echo; echo "**--peers-only:** pcapforge not measured."; }
  echo
  printf '| figure |'; for s in "${SIZE_LIST[@]}"; do printf ' %s GB capture |' "$s"; done; echo
  printf '| --- |'; for _ in "${SIZE_LIST[@]}"; do printf ' ---: |'; done; echo
  row "file size (bytes)" $(per_size value bytes)
  row "frames" $(per_size value frames)
  for tool in pcapforge argus tshark; do
    mapfile -t cells < <(per_size cell_time "$tool"); row "wall time, $tool" "${cells[@]}"
  done
  for tool in pcapforge argus tshark; do
    mapfile -t cells < <(per_size cell_cpu "$tool"); row "CPU use and CPU time (user + sys), $tool" "${cells[@]}"
  done
  for tool in pcapforge argus tshark; do
    mapfile -t cells < <(per_size cell_rss "$tool"); row "max RSS, $tool" "${cells[@]}"
  done
  row "ratio argus ÷ pcapforge (target ≥ 3)" $(per_size ratio argus pcapforge)
  row "ratio tshark ÷ pcapforge (target ≥ 40)" $(per_size ratio tshark pcapforge)
  row "ratio argus ÷ pcapforge by CPU time (see the note)" $(per_size cpu_ratio argus pcapforge)
  row "tshark conversations (tcp + udp)" $(per_size value tshark_convs)
  row "argus flow records (ra, status records included)" $(per_size value argus_records)
  echo
  echo "Targets:"
  if [ "$HAVE_ANALYZE" = 1 ]; then
    for s in "${SIZE_LIST[@]}"; do
      g=${s}g
      check "analyze ≥ 3× faster than argus on ${s} GB ($(ratio argus pcapforge "$g")×)" "${R[mean_argus_$g]} >= 3 * ${R[mean_pcapforge_$g]}"
      check "analyze ≥ 40× faster than tshark on ${s} GB ($(ratio tshark pcapforge "$g")×)" "${R[mean_tshark_$g]} >= 40 * ${R[mean_pcapforge_$g]}"
      check "analyze uses both cores on ${s} GB (CPU ${R[cpu_pcapforge_$g]} %, ≥ 150 % counts)" "${R[cpu_pcapforge_$g]} >= 150"
      check "analyze peak RSS < 300 MiB on ${s} GB ($(cell_rss pcapforge "$g"))" "${R[rss_pcapforge_$g]} < 307200"
    done
    if have pcapforge 1g && have pcapforge 3g; then
      check "analyze peak RSS flat from 1 GB to 3 GB (within 10 %: $(cell_rss pcapforge 1g) → $(cell_rss pcapforge 3g))" \
        "${R[rss_pcapforge_3g]} <= 1.1 * ${R[rss_pcapforge_1g]}"
    fi
  else
    echo "- MISS every pcapforge target: not measured (${ANALYZE_ERROR:-run with --peers-only})"
  fi
} | tee "$OUT/summary.md"

echo
echo "results: $OUT"
if [ "$CLEAN" = 1 ]; then
  log "removing the generated captures"
  for s in "${SIZE_LIST[@]}"; do rm -f "$DATA/realistic-${s}g.pcap"; done
fi
if [ "$PEERS_ONLY" = 0 ] && [ "$HAVE_ANALYZE" = 0 ]; then exit 3; fi
