# bench-lib.sh - sourced by the benchmark scripts (run-reader-bench.sh, run-analyze-bench.sh): logging, Debian
# packages, disk-checked capture generation and page-cache warming. Run from the repository root; the capture
# functions expect bench_start to have run and BENCH (the built PcapForge.Bench) to be set.

# bench_start NAME: quiet dotnet; DATA=bench/data and OUT=$DATA/NAME-<UTC time>, created.
bench_start() {
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  DATA=bench/data
  OUT=$DATA/$1-$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$OUT"
}

log() { printf '\n== %s\n' "$*"; }

# install_pkg PACKAGE: apt-get install it (apt-get update once first); needs root.
APT_UPDATED=0
install_pkg() {
  if [ "$(id -u)" != 0 ]; then echo "missing $1 and not root: install Debian package '$1'" >&2; exit 1; fi
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

avail_kib() { df -Pk "$DATA" | awk 'NR == 2 { print $4 }'; }

# generate_capture FILE SIZE_GB [GENERATOR OPTIONS...]: writes FILE with PcapForge.Bench generate unless it exists,
# after checking that the disk has room for it (plus 512 MiB); the generator's report goes to $OUT/generate.log.
generate_capture() {
  local file=$1 gb=$2
  shift 2
  if [ -f "$file" ]; then echo "have $file ($(stat -c %s "$file") bytes)"; return; fi
  local need_kib=$(( gb * 1024 * 1024 + 512 * 1024 ))
  if [ "$(avail_kib)" -lt "$need_kib" ]; then
    echo "not enough disk for $file: $(( $(avail_kib) / 1024 )) MiB free, need $(( need_kib / 1024 )) MiB" >&2; df -h "$DATA" >&2; exit 1
  fi
  "$BENCH" generate --out "$file" --size-gb "$gb" "$@" 2>/dev/null | tee -a "$OUT/generate.log"
}

# warm FILE...: read the files once, so that the measurements read them from the page cache.
warm() { for f in "$@"; do cat "$f" > /dev/null; done; }
# The kernel's cost of mapping a cached file depends on how its pages are cached: read back from disk, ext4 caches
# it in large folios (up to 2 MiB) that are mapped a few hundred faults per GB; a capture just written by the
# generator may stay cached in 4 KiB folios, which cost the kernel about 60 ms per GB to map (bench/README.md).
# So that every run measures the same state, and the one of a capture under analysis, each file is written back,
# dropped from the page cache (this file only: dd's nocache flag, posix_fadvise DONTNEED) and read back.
settle() { for f in "$@"; do sync "$f"; dd if="$f" iflag=nocache count=0 status=none; cat "$f" > /dev/null; done; }

# dotnet_rid: the .NET runtime identifier of this machine (linux-x64, linux-arm64), for ReadyToRun publishing.
dotnet_rid() { echo "linux-$(case "$(uname -m)" in x86_64) echo x64 ;; aarch64) echo arm64 ;; *) uname -m ;; esac)"; }

# publish_cli DIR: the CLI as it is shipped for a benchmark: self-contained, with the runtime and PcapForge's assemblies
# compiled ahead of time into one composite ReadyToRun image (cross-assembly inlining, and the generic code of
# Parquet.Net and the collections instantiated ahead of time rather than jitted at start-up), the plugins ReadyToRun
# beside it (plugins/CopyPlugins.targets). Measured on the 1 GB realistic capture: 1.81 s against 1.91 s for a
# framework-dependent ReadyToRun publish, 194 against 249 ms on a small capture. A composite publish leaves component
# stubs in obj/ that a later framework-dependent publish of the same RID would reuse, so those are removed first.
publish_cli() {
  local dir=$1 rid
  rid=$(dotnet_rid)
  rm -rf "$dir" src/*/obj/Release/net10.0/"$rid" plugins/*/obj/Release/net10.0/"$rid"
  dotnet publish src/PcapForge.Cli/PcapForge.Cli.csproj -c Release -r "$rid" --self-contained true \
    -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true -o "$dir" -nologo -v q -clp:ErrorsOnly
  rm -rf src/*/obj/Release/net10.0/"$rid" plugins/*/obj/Release/net10.0/"$rid"
}
