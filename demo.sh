#!/usr/bin/env bash
# The main job on the bundled fixtures, offline: no model is configured, so extract runs the
# offline extractor "local" (no LLM) and every memory keeps the transcript words it came from.
# Run through `make demo`.
set -euo pipefail
cd "$(dirname "$0")"
LANGMEM=".venv/bin/langmem"
run() { echo; echo "\$ langmem $*"; "$LANGMEM" "$@"; }

echo "Database: $("$LANGMEM" path)"
# One export of several users: each conversation lands in its user's namespace.
run --no-json extract fixtures/transcripts/conversations.jsonl -n "demo/{user_id}" --show-rejected
# A Claude Code session (Dana's) and a LangChain export (Carol's): one namespace per person, so each
# memory takes the name its own person gave.
run --no-json extract fixtures/transcripts/claude-code.jsonl -n demo/dana
run --no-json extract fixtures/transcripts/langchain.jsonl -n demo/carol
# A profile document (custom JSON Schema), updated in place.
run --no-json extract fixtures/transcripts/messages.jsonl -n demo/alice --schema fixtures/schemas/user_profile.json --profile
# Idempotent: a second run only pays for what is new.
run --no-json extract fixtures/transcripts/conversations.jsonl -n "demo/{user_id}"
run --no-json show-profile -n demo/alice
# Nightly maintenance without a model: near-duplicates merged, contradictions reported.
run --no-json consolidate --prefix demo
run --no-json namespaces
run --no-json list --prefix demo --limit 20
run --no-json search "pets" --prefix demo --limit 3
run --no-json search "what does the user eat?" --limit 3
run --no-json stats
