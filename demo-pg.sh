#!/usr/bin/env bash
# The demo's store commands against a throwaway PostgreSQL server (`make demo-pg` starts it in
# .demo/pg, sets LANGMEM_DB to its URL, and stops and deletes it afterwards). Offline, no LLM.
set -euo pipefail
cd "$(dirname "$0")"
LANGMEM=".venv/bin/langmem"
run() { echo; echo "\$ langmem $*"; "$LANGMEM" "$@"; }

echo "Database: $("$LANGMEM" path)"
run --no-json put "Alice is vegetarian and cooks a lot of lentil curry" -n demo/alice
run --no-json put "Alice has a dog called Max" -n demo/alice
run --no-json put "Bob moved to Lisbon in 2021 and works as a nurse" -n demo/bob
run --no-json put "Bob plays the cello every Sunday" -n demo/bob
run --no-json put "Carol prefers tea over coffee in the morning" -n demo/carol
run --no-json put '{"name": "Dana", "diet": "pescatarian", "city": "Oslo"}' -n demo/dana --kind profile
run --no-json namespaces
run --no-json list --prefix demo --limit 20
run --no-json search "pets" --prefix demo --limit 3
run --no-json search "what does the user eat?" --limit 3
run --no-json search "cello" --mode keyword --namespace demo/bob
run --no-json stats
# Moving a store: PostgreSQL -> SQLite -> a fresh PostgreSQL database, nothing lost.
SQLITE=".demo/pg/copy.db"
rm -f "$SQLITE"
echo; echo "\$ langmem export --history | langmem --db $SQLITE import -"
"$LANGMEM" export --history | "$LANGMEM" --db "$SQLITE" import -
run --no-json --db "$SQLITE" namespaces
