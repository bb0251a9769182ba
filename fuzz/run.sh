#!/usr/bin/env bash
# Builds the libFuzzer harnesses against the package's sources and runs each
# for a set time.
#
#   fuzz/run.sh [SECONDS] [HARNESS…]
#
# SECONDS per harness (default 60); HARNESS is spec, csv or idx (default: all,
# one after another). Each harness starts from its seeds in fuzz/corpus/NAME
# and keeps what it learns in .build/fuzz/corpus/NAME, so later runs resume.
# A finding is written to .build/fuzz/artifacts/NAME/ and the script exits
# non-zero. FUZZ_FLAGS passes more libFuzzer options (FUZZ_FLAGS=-runs=0 only
# replays the corpus).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then harnesses=(spec csv idx); fi
case $seconds in
  '' | *[!0-9]*) echo "fuzz/run.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

build=$root/.build/fuzz
mkdir -p "$build/modules"
# -O: the fuzzer's speed is its reach. Swift keeps its bounds and overflow
# checks at -O, and those traps are findings too.
common=(-O -g -sanitize=fuzzer,address -parse-as-library -use-ld=lld -I "$build/modules")
common+=(-I "$root/Sources/CYAML" -I "$root/Sources/CZlib" -I "$root/Sources/COpenBLAS")
common+=(-I "$root/Sources/CCrypto")
for flag in $(pkg-config --cflags openblas yaml-0.1 zlib libcrypto); do common+=(-Xcc "$flag"); done
libraries=$(pkg-config --libs openblas yaml-0.1 zlib libcrypto)

# One static library per module, in dependency order; -enable-testing lets
# the harnesses reach the readers' internal byte-level entry points.
module() {
  local name=$1
  local sources
  mapfile -t sources < <(find "$root/Sources/$name" -name '*.swift' | sort)
  swiftc "${common[@]}" -enable-testing -module-name "$name" -emit-library -static \
    -emit-module-path "$build/modules/$name.swiftmodule" \
    -o "$build/modules/lib$name.a" "${sources[@]}"
}

harness() {
  local name=$1
  swiftc "${common[@]}" -module-name "fuzz_$name" -o "$build/$name" \
    "$root"/fuzz/"$name"/*.swift -L "$build/modules" -lRuntime -lPlanner -lSpecParser \
    $libraries
}

echo "fuzz: building modules" >&2
module SpecParser
module Planner
module Runtime

status=0
for name in "${harnesses[@]}"; do
  if [ ! -d "$root/fuzz/$name" ]; then
    echo "fuzz/run.sh: no harness '$name' (have: spec csv idx)" >&2
    exit 2
  fi
  echo "fuzz: building $name" >&2
  harness "$name"
  mkdir -p "$build/corpus/$name" "$build/artifacts/$name"
  dictionary=()
  if [ -f "$root/fuzz/$name.dict" ]; then dictionary=(-dict="$root/fuzz/$name.dict"); fi
  echo "fuzz: running $name for ${seconds}s" >&2
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a runaway
  # allocation is a finding, not a swapped machine.
  if ! "$build/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$name/" "${dictionary[@]}" ${FUZZ_FLAGS:-} \
    "$build/corpus/$name" "$root/fuzz/corpus/$name"; then
    echo "fuzz: $name found a problem; see $build/artifacts/$name/" >&2
    status=1
  fi
done
exit $status
