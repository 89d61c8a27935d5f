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
# the machine is doing over both sides. It prints each build's wall and CPU time, the
# median of each side, and new/old.
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
# its wall time and its CPU time (user + system, of cargo and every rustc it ran) in
# seconds. CPU time barely moves with what else the machine is doing; wall time does.
build() {
    local name=$1 target log timing
    target=$(mktemp -d "$work/target-$name.XXXXXX")
    log="$work/build-$name.log"
    local TIMEFORMAT='%R %U %S'
    if ! timing=$( { time (cd "$work/$name" &&
        CARGO_TARGET_DIR="$target" cargo build --release --locked --offline >"$log" 2>&1); } 2>&1); then
        echo "error: the build of $name failed:" >&2
        cat "$log" >&2
        exit 1
    fi
    rm -rf "$target"
    read -r wall user sys <<<"$timing"
    echo "$wall $(echo "$user + $sys" | bc)"
}

old_wall=()
new_wall=()
old_cpu=()
new_cpu=()
for round in $(seq 1 "$rounds"); do
    t=$(build old) || exit 1
    read -r wall cpu <<<"$t"
    old_wall+=("$wall")
    old_cpu+=("$cpu")
    printf 'round %d  old  wall %7.1f s  cpu %7.1f s\n' "$round" "$wall" "$cpu"
    t=$(build new) || exit 1
    read -r wall cpu <<<"$t"
    new_wall+=("$wall")
    new_cpu+=("$cpu")
    printf 'round %d  new  wall %7.1f s  cpu %7.1f s\n' "$round" "$wall" "$cpu"
done

# The median of the arguments (the mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# One line of medians and their ratio, for wall or CPU time.
summary() {
    local what=$1 old new
    old=$(median $2)
    new=$(median $3)
    printf 'median %-4s  old %7.1f s  new %7.1f s  new/old %.2f\n' \
        "$what" "$old" "$new" "$(echo "$new / $old" | bc -l)"
}
summary wall "${old_wall[*]}" "${new_wall[*]}"
summary cpu "${old_cpu[*]}" "${new_cpu[*]}"
echo "($rounds rounds, $(nproc) cores)"
