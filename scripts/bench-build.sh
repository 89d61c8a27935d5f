#!/usr/bin/env bash
# A learner's first build, old against new: a clean `cargo build --release --locked`.
#
#   scripts/bench-build.sh OLD_REV NEW_REV [ROUNDS]     e.g. scripts/bench-build.sh da15840 HEAD
#
# Each revision is cloned from this repository into a temporary directory. Their
# dependencies are fetched first, into the one CARGO_HOME both share, so no download is
# timed. Then the builds alternate, old, new, old, new… for ROUNDS rounds (default 2),
# each into a fresh, empty CARGO_TARGET_DIR: every timed build compiles every crate,
# as a learner's first `cargo build --release` does. Alternating spreads whatever else
# the machine is doing over both sides. It prints each time, the median of each side,
# and new/old.
#
# It takes a few minutes and both cores: run it on a quiet machine, and record the
# figures (with the machine's core count) in BENCHMARKS.md.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 OLD_REV NEW_REV [ROUNDS]" >&2
    exit 2
fi
old_rev=$1
new_rev=$2
rounds=${3:-2}
case "$rounds" in
    '' | *[!0-9]* | 0)
        echo "error: ROUNDS must be a positive whole number, not '$rounds'" >&2
        exit 2
        ;;
esac

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
for rev in "$old_rev" "$new_rev"; do
    if ! git -C "$repo" rev-parse --verify --quiet "$rev^{commit}" >/dev/null; then
        echo "error: '$rev' is not a commit in $repo" >&2
        exit 2
    fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Clones `rev` into $work/$name, and fetches its dependencies (not timed).
prepare() {
    local name=$1 rev=$2
    git clone --quiet --no-checkout "$repo" "$work/$name"
    git -C "$work/$name" checkout --quiet --detach "$(git -C "$repo" rev-parse --verify "$rev^{commit}")"
    echo "$name: $rev = $(git -C "$work/$name" log -1 --format='%h %s')"
    cargo fetch --locked --quiet --manifest-path "$work/$name/Cargo.toml"
}
prepare old "$old_rev"
prepare new "$new_rev"

# One clean release build of $work/$name, in a target directory of its own; prints
# the wall time in seconds.
build() {
    local name=$1 target
    target=$(mktemp -d "$work/target-$name.XXXXXX")
    local start end
    start=$(date +%s.%N)
    (cd "$work/$name" && CARGO_TARGET_DIR="$target" cargo build --release --locked --offline --quiet)
    end=$(date +%s.%N)
    rm -rf "$target"
    echo "$end - $start" | bc
}

old_times=()
new_times=()
for round in $(seq 1 "$rounds"); do
    t=$(build old)
    old_times+=("$t")
    printf 'round %d  old %7.1f s\n' "$round" "$t"
    t=$(build new)
    new_times+=("$t")
    printf 'round %d  new %7.1f s\n' "$round" "$t"
done

# The median of the arguments (the mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
old_median=$(median "${old_times[@]}")
new_median=$(median "${new_times[@]}")
printf 'median   old %7.1f s   new %7.1f s   new/old %.2f   (%d rounds, %s cores)\n' \
    "$old_median" "$new_median" "$(echo "$new_median / $old_median" | bc -l)" "$rounds" "$(nproc)"
