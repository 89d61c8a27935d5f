#!/usr/bin/env bash
# The load harness: hostecho against hyper, a bare mio floor and nginx, under wrk.
#
#   scripts/bench-load.sh            full run (3 rounds and 6 log pairs, about 12 minutes), writes the
#                                    "Load" section of BENCHMARKS.md and its chart
#   scripts/bench-load.sh --quick    1 short round, printed only (add --write to record it)
#   scripts/bench-load.sh --check    does every server build, start and answer correctly?
#
# Other options go to the driver (benches/load/src/bin/bench_load.rs): --rounds N,
# --log-pairs N (back-to-back runs at warn and info, for the access log's cost),
# --duration SECS, --idle N. Timing never runs in `cargo test`; this script is the
# only way in. Needs 2 cores: the server runs on core 0, wrk on core 1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# wrk from Debian when missing (apt-get needs root; say so rather than fail later).
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: wrk is not installed; run: sudo apt-get install -y wrk" >&2
        exit 1
    fi
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
command -v nginx >/dev/null || echo "note: nginx is not installed; its row is skipped (apt-get install nginx-light)" >&2

cargo build --release --quiet --bin hostecho
cargo build --release --quiet --manifest-path benches/load/Cargo.toml

args=(--hostecho "$root/target/release/hostecho")
mode=full
record=""
pass=()
for a in "$@"; do
    case "$a" in
        --quick) mode=quick; pass+=("$a") ;;
        --check) mode=check; pass+=("$a") ;;
        --write) record=yes ;;  # with --quick: record that run too
        *) pass+=("$a") ;;
    esac
done
if [ "$mode" = full ] || [ -n "$record" ]; then
    args+=(--write "$root/BENCHMARKS.md" --chart "$root/benches/load/chart.svg")
fi

# The driver runs in its own process group, and every server and wrk it starts belongs
# to it: whatever way this script ends (an error, Ctrl-C, a kill), the trap stops them all.
driver=""
cleanup() {
    if [ -n "$driver" ]; then
        kill -TERM -- "-$driver" 2>/dev/null || true
        wait "$driver" 2>/dev/null || true
        # The driver's temporary directories (nginx's prefix, server logs), named after it.
        rm -rf "${TMPDIR:-/tmp}/bench-load-$driver-"*
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export BENCH_LOAD_COMMAND="scripts/bench-load.sh${*:+ $*}"
setsid "$root/benches/load/target/release/bench_load" "${args[@]}" "${pass[@]}" &
driver=$!
status=0
wait "$driver" || status=$?
driver=""
exit "$status"
