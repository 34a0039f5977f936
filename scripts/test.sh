#!/usr/bin/env bash
# The test command (README): installs what the tests need, builds, checks types and style, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json
npx biome check .
node scripts/build.mjs
# Tests are compiled to build/ by tsc above; node's runner discovers *.test.js.
exec node --test --test-reporter=spec "$@" build/test/ build/src/
