#!/usr/bin/env bash
# Regression gate: benchmark two commits with asv and fail if HEAD is worse.
#
#   benchmarks/regress.sh BASE [HEAD] [asv continuous options...]
#
# Builds BASE and HEAD (default: HEAD) into asv's virtualenv under .asv/, runs the suite on both with
# rounds interleaved between the commits, and prints the comparison. Exits non-zero when a benchmark
# got worse by more than the factor (and significantly, where asv has samples for statistics), when a
# track_ correctness value grew by more than the factor, or when any benchmark failed on either commit.
# Factor: $RINGBENCH_REGRESSION_FACTOR, default 1.25: two identical commits on a busy shared 2-core
# machine differed by at most 28 % (one memory-bound kernel; the rest within 16 %). Profile:
# $RINGBENCH_BENCH_PROFILE, default regular. Extra options go to asv continuous, e.g.
# -b 'Events|HeapOperations' to run a subset.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || [[ "$1" == -* ]]; then
  echo "usage: benchmarks/regress.sh BASE [HEAD] [asv continuous options...]" >&2
  exit 2
fi
base=$1
shift
head=HEAD
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
  head=$1
  shift
fi
factor=${RINGBENCH_REGRESSION_FACTOR:-1.25}

asv machine --yes >/dev/null || exit 2
asv continuous --factor "$factor" --split --interleave-rounds --show-stderr "$@" "$base" "$head"
status=$?
if [ "$status" -eq 2 ]; then
  # A benchmark failed: asv continuous stopped before its comparison, so print what changed or failed.
  asv compare --factor "$factor" --split --only-changed "$base" "$head"
fi
if [ "$status" -ne 0 ]; then
  echo "regression gate: FAILED (asv continuous exit status $status; factor $factor)" >&2
else
  echo "regression gate: passed (factor $factor)"
fi
exit "$status"
