#!/usr/bin/env bash
# The test command (README): installs what the tests need, builds, checks types and style, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A CNI runtime does not set it, and it triples Node's start-up for every plugin process.
unset NODE_EXTRA_CA_CERTS
rm -rf build
npx tsc -p tsconfig.json
npx biome check .
node scripts/build.mjs
# Node 20's runner takes files, not directories: every compiled *.test.js, in a stable order.
mapfile -t files < <(find build/src build/test -name '*.test.js' | sort)
exec node --test --test-reporter=spec "$@" "${files[@]}"
