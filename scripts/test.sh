#!/usr/bin/env bash
# The one test command (README, .ci/run): install what is missing, build, start the fixture
# servers, run every test, stop what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@xmpp/client-core ] || npm ci --no-audit --no-fund
npm run build --silent
fixtures/prosody/server.sh start
trap 'fixtures/prosody/server.sh stop' EXIT
set -a; eval "$(fixtures/prosody/server.sh env)"; set +a
node --test --test-concurrency=2 "$@" build/test/
