#!/usr/bin/env bash
# The main job: set up, build, then run the demo scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/build.mjs
unset NODE_EXTRA_CA_CERTS
exec node dist/bin/trunkline lab up "$@"
