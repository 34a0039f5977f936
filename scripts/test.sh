#!/usr/bin/env bash
# The test command (README): installs what the tests need, builds, checks types and style, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A CNI runtime does not set it, and it triples Node's start-up for every plugin process.
unset NODE_EXTRA_CA_CERTS
rm -rf build
npx tsc -p tsconfig.json
# tsc's noUnusedLocals/noUnusedParameters cover the rest; exports nobody imports are found here.
node scripts/unused-exports.mjs
npx biome check .
node scripts/build.mjs
# Node 20's runner takes files, not directories: every compiled *.test.js, in a stable order.
mapfile -t files < <(find build/src build/test -name '*.test.js' | sort)
# Tiers skipped for a missing tool (only possible locally, with TRUNKLINE_SKIP_TIERS) are listed last.
TRUNKLINE_SKIP_REPORT="$(mktemp -t trunkline-skipped.XXXXXX)"
export TRUNKLINE_SKIP_REPORT
trap 'rm -f "$TRUNKLINE_SKIP_REPORT"' EXIT
status=0
# A hung test fails after 20 minutes instead of holding CI until its limit.
node --test --test-reporter=spec --test-timeout=1200000 "$@" "${files[@]}" || status=$?
if [ -s "$TRUNKLINE_SKIP_REPORT" ]; then
  echo "SKIPPED TIERS (TRUNKLINE_SKIP_TIERS=${TRUNKLINE_SKIP_TIERS:-} TRUNKLINE_SKIP_VM=${TRUNKLINE_SKIP_VM:-}):"
  sort -u "$TRUNKLINE_SKIP_REPORT" | sed 's/^/  /'
else
  echo "skipped tiers: none"
fi
exit "$status"
