#!/usr/bin/env bash
# The main job on the bundled fixtures, offline. Run through `make demo`.
set -euo pipefail
cd "$(dirname "$0")"
LANGMEM=".venv/bin/langmem"
run() { echo; echo "\$ langmem $*"; "$LANGMEM" "$@"; }

echo "Database: $("$LANGMEM" path)"
run --no-json import fixtures/memories.jsonl
run --no-json import fixtures/memories.jsonl   # idempotent: nothing new
run --no-json namespaces
run --no-json search "what should I cook for Alice?" -n acme/alice --limit 3
run --no-json search "pets" --prefix acme --limit 3
run --no-json search "who lives in France?" --limit 2
run --json search "allergies" -n acme/bob --limit 1
run --no-json stats
