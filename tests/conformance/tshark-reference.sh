# tshark-reference.sh - sourced by the scripts that regenerate tshark reference files (tshark-fields.sh,
# tshark-conv.sh): the same tshark environment, header lines and capture folders for all of them.
#
# reference_setup [SHARED_PCAPS_DIR] sets root (the repository), shared (the public corpus: the argument,
# $PCAPFORGE_SHARED_PCAPS, or ../shared/pcaps beside the repository), cfg (a temporary folder, removed on exit) and
# version (tshark's version line). tshark then runs with an empty, private configuration folder (HOME and
# XDG_CONFIG_HOME in cfg), so no personal profile (decode-as, disabled protocols, "assume packets have FCS"...)
# can change its output, and with TZ=UTC LC_ALL=C, so runs are identical on any machine.

reference_setup() {
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    shared=${1:-${PCAPFORGE_SHARED_PCAPS:-$root/../shared/pcaps}}
    command -v tshark >/dev/null || { echo "tshark not found" >&2; exit 1; }
    export TZ=UTC LC_ALL=C
    cfg=$(mktemp -d)
    trap 'rm -rf "$cfg"' EXIT
    export HOME=$cfg XDG_CONFIG_HOME=$cfg/.config
    version=$(tshark --version 2>/dev/null | head -n 1)
}

# reference_captures DIR: the captures of DIR (*.pcap, *.pcapng; not the compressed copies, *.gz and *.zst, which
# are byte-identical duplicates of a capture that is there uncompressed), one name a line, in byte order.
reference_captures() {
    (cd "$1" && ls -1 | LC_ALL=C sort | grep -E '\.(pcap|pcapng)$' || true)
}

# reference_run DIR COMMAND...: runs COMMAND in DIR, its output to $cfg/out and errors to $cfg/err, then prints
# the header of a reference file:
#   # <tshark version line>; command: <COMMAND>
#   # tshark exit status N: <its error message>        (only when tshark stopped with an error)
reference_run() {
    local dir=$1 status=0
    shift
    (cd "$dir" && "$@" >"$cfg/out" 2>"$cfg/err") || status=$?
    printf '# %s; command: %s\n' "$version" "$*"
    if [ "$status" -ne 0 ]; then
        printf '# tshark exit status %d: %s\n' "$status" \
            "$(grep -v '^Running as user' "$cfg/err" | tr '\n' ' ' | sed 's/ *$//')"
    fi
}

# reference_folders GENERATE PATTERN: runs "GENERATE SOURCE_DIR SUBFOLDER" for testdata/ and, when present, the
# shared corpus, then prints tshark's version and the total size of the files matching PATTERN (a glob relative to
# a subfolder of $out).
reference_folders() {
    "$1" "$root/testdata" testdata
    if [ -d "$shared" ]; then
        "$1" "$shared" shared
    else
        echo "warning: $shared is absent; only testdata/ references regenerated" >&2
    fi
    echo "tshark: $version"
    # shellcheck disable=SC2086 # the pattern is a glob
    du -cb "$out"/*/$2 | tail -n 1
}
