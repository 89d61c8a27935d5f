#!/usr/bin/env bash
# Runs one cargo-fuzz target for a bounded time.
#
#   scripts/fuzz.sh TARGET MINUTES     e.g. scripts/fuzz.sh connection 10
#
# TARGET is one of fuzz/fuzz_targets/*.rs (framing, host_policy, chunked, connection).
# Installs cargo-fuzz if it is missing. cargo-fuzz passes nightly-only flags to rustc
# (-Zsanitizer=address); RUSTC_BOOTSTRAP=1 lets a stable toolchain accept them, so no
# nightly is needed. libFuzzer stops by itself after MINUTES (-max_total_time), and
# treats one input taking over 10 s as a finding (-timeout), so a hang cannot hide.
#
# The corpus grows in fuzz/corpus/TARGET (not committed); the seeds in
# fuzz/seeds/TARGET (committed) are read too. A crash is saved in
# fuzz/artifacts/TARGET/; replay it with
#   (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET artifacts/TARGET/FILE)
# The whole log goes to fuzz/logs/TARGET.log; its last lines are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -eq 0 ]; then
    echo "usage: scripts/fuzz.sh TARGET MINUTES" >&2
    exit 2
fi
target=$1
minutes=$2
if [ ! -f "fuzz_targets/$target.rs" ]; then
    echo "error: no fuzz target $target; there are:" $(basename -s .rs fuzz_targets/*.rs) >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed; installing it from crates.io" >&2
    cargo install cargo-fuzz
fi

export RUSTC_BOOTSTRAP=1
mkdir -p "corpus/$target" logs
corpora=("corpus/$target")
[ -d "seeds/$target" ] && corpora+=("seeds/$target")

log="logs/$target.log"
echo "fuzzing $target for $minutes minute(s); log in fuzz/$log" >&2
cargo fuzz build "$target"
status=0
cargo fuzz run "$target" "${corpora[@]}" -- \
    -max_total_time=$((minutes * 60)) -timeout=10 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
# The summary: the last progress line (cov, ft, corpus, exec/s) and the "Done" line,
# or the crash report.
if [ "$status" -eq 0 ]; then
    grep -E '^#[0-9]+' "$log" | tail -n 1
    grep -E '^Done ' "$log" | tail -n 1
else
    tail -n 40 "$log"
    echo "fuzz target $target failed (exit $status): see fuzz/$log and fuzz/artifacts/$target/" >&2
fi
exit "$status"
