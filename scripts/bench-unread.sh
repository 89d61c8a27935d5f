#!/usr/bin/env bash
# What non-reading clients can make hostecho hold: 100 clients each POST 1 MiB (the
# largest body --max-body-bytes allows) asking for an echo, and never read it.
#
#   scripts/bench-unread.sh [PEER_BINARY] [-- UNREAD_HOLD_FLAGS...]
#
# Builds hostecho (release) and benches/load's unread_hold, starts hostecho on
# 127.0.0.1 with a free port, and runs unread_hold against it, which prints VmRSS
# before, while the clients are connected, and after they have gone (see
# benches/load/src/bin/unread_hold.rs). With PEER_BINARY (another hostecho build, say
# the one before a change), the same runs against it too, alternating, three rounds
# each, so the two are measured side by side. Flags after `--` go to unread_hold, e.g.
# `-- --rcvbuf 4096 --accept text/html --ascii`. Takes under a minute a round; runs
# nothing but loopback traffic. BENCHMARKS.md, "Memory a client can make hostecho
# hold", has the figures.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peer=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    peer=$1
    shift
fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift

(cd "$root" && cargo build --release --quiet --bin hostecho)
(cd "$root/benches/load" && cargo build --release --quiet --bin unread_hold)
hostecho="$root/target/release/hostecho"
unread_hold="$root/benches/load/target/release/unread_hold"

# Runs one round against BINARY: a fresh server on a free port, the clients, the line.
round() {
    local binary=$1 name=$2 port pid
    shift 2
    local log
    log=$(mktemp)
    RUST_LOG=warn "$binary" --bind 127.0.0.1:0 >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do
        port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        kill "$pid" 2>/dev/null || true
        echo "error: $binary did not start: $(cat "$log")" >&2
        exit 1
    fi
    echo -n "$name: "
    timeout 180 "$unread_hold" "127.0.0.1:$port" 100 --pid "$pid" "$@" || true
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -f "$log"
}

for n in 1 2 3; do
    round "$hostecho" "hostecho (round $n)" "$@"
    [ -n "$peer" ] && round "$peer" "peer (round $n)" "$@"
done
