#!/usr/bin/env bash
# Runs the test suite and, when something fails, repeats each failure (name, message, stack) at the
# very end of the output: CI keeps only the tail of a run, where 900 "Passed" lines would bury it.
set -uo pipefail
cd "$(dirname "$0")/.."
DOTNET=${DOTNET:-dotnet}
CONFIG=${CONFIG:-Release}
log=$(mktemp /tmp/csredis-tests.XXXXXX.log)
trap 'rm -f "$log"' EXIT

"$DOTNET" test tests/Csredis.Tests/Csredis.Tests.csproj -c "$CONFIG" --nologo \
  --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

if [ "$rc" -ne 0 ]; then
  echo
  echo "==================== failures, repeated ===================="
  # vstest prints "  Failed <name> [time]" followed by indented Error Message / Stack Trace blocks,
  # up to the next "  Passed"/"  Failed"/"  Skipped" line.
  awk '/^  Failed /{show=1; print; next}
       /^  (Passed|Skipped) |^\[xUnit|^Test Run|^Total tests/{show=0}
       show{print}' "$log" | cut -c1-400 | head -300
fi
exit "$rc"
