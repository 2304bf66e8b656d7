#!/usr/bin/env bash
# Every benchmark of README "Performance", then one summary table.
#
#   scripts/bench.sh                 # all of them (first run builds the 1M fixture, ~1 min)
#   VERIFF_BENCH_SIZES=10000,100000 scripts/bench.sh     # other history sizes
#   VERIFF_BENCH_NO_CRITERION=1 scripts/bench.sh         # percentiles only (faster)
#   VERIFF_BENCH_RUNS=20 scripts/bench.sh                # runs each of generate/curl and start-ups
#   VERIFF_BENCH_STORES=sqlite scripts/bench.sh          # the store bench on one store
#
# The store bench measures SQLite and PostgreSQL: a private server of its own (initdb, as
# the tests start one; `apt-get install postgresql`) on a cluster it builds once and keeps
# in target/bench-fixtures (about 5 minutes and 2 GB for 1M records).
#
# ATAC and slumber, the peers the start-up is held against, are measured when installed
# in target/peers (once: cargo install --locked --root target/peers atac slumber@5.4.0)
# or named by VERIFF_BENCH_ATAC / VERIFF_BENCH_SLUMBER.
#
# A new bench: a [[bench]] entry (harness = false) in Cargo.toml, benches/<name>.rs using
# benches/support (fixtures, percentiles, `summary` lines), and its name in BENCHES below.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCHES=(store generate tui batch)
for peer in atac slumber; do
    var="VERIFF_BENCH_${peer^^}"
    if [[ -z "${!var:-}" && -x "target/peers/bin/$peer" ]]; then
        export "$var=$PWD/target/peers/bin/$peer"
    fi
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== release build (fat LTO, stripped)"
cargo build --release --locked --bin veriff-tui
bin=target/release/veriff-tui
bytes=$(stat -c %s "$bin")
size_mb=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }')
verdict=$(awk -v b="$bytes" 'BEGIN { print (b < 12 * 1048576) ? "ok" : "MISSED" }')
printf 'SUMMARY\trelease binary size (%s)\t%s MiB (%s bytes)\t< 12 MB\t%s\n' \
    "$bin" "$size_mb" "$bytes" "$verdict" >"$out/size.txt"
# The fake-history generator (feature dev-seed) is not shipped: none of its strings.
seeds=$(grep -a -c -e 'dev-seed-history' -e 'Goldsmith' "$bin" || true)
printf 'SUMMARY\trelease binary without the fake-history generator\t%s lines with its strings\t0\t%s\n' \
    "$seeds" "$([[ $seeds == 0 ]] && echo ok || echo MISSED)" >>"$out/size.txt"
# `cargo bench` builds the binary again over that path, with dev-seed on (the benches'
# fixtures need the generator): the benches run a copy of the binary as shipped.
cp "$bin" "$out/veriff-tui"
export VERIFF_TUI_BIN="${VERIFF_TUI_BIN:-$out/veriff-tui}"

for b in "${BENCHES[@]}"; do
    echo "== cargo bench --bench $b"
    cargo bench --locked --bench "$b" | tee "$out/$b.txt"
done

echo
echo "== summary ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ))"
{
    printf 'what\tmeasured\ttarget\tverdict\n'
    cat "$out"/*.txt | grep '^SUMMARY' | cut -f2-
} | column -t -s $'\t'
