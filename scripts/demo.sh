#!/usr/bin/env bash
# Quick start: install what is missing, start the bundled Prosody, send a real file from
# alice@localhost to bob@localhost and show that the bytes arrived. Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@xmpp/client-core ] || npm ci --no-audit --no-fund
npm run build --silent
fixtures/prosody/server.sh start
work=$(mktemp -d)
rxpid=""
cleanup() {
  [ -n "$rxpid" ] && kill "$rxpid" 2>/dev/null || true
  fixtures/prosody/server.sh stop
  rm -rf "$work"
}
trap cleanup EXIT
set -a; eval "$(fixtures/prosody/server.sh env)"; set +a
export XFER_SERVER="$XFER_TEST_SERVER" XFER_CA="$XFER_TEST_CA"
size_mib=${DEMO_MIB:-64}
mkdir -p "$work/out"
head -c $((size_mib * 1048576)) /dev/urandom > "$work/demo.bin"
echo "== bob@localhost waits for one file (xfer receive) =="
XFER_PASSWORD=bob-secret ./bin/xfer receive --jid bob@localhost --from alice@localhost \
  --output-dir "$work/out" --once --timeout 120 &
rxpid=$!
sleep 1
echo "== alice@localhost sends ${size_mib} MiB (xfer send) =="
XFER_PASSWORD=alice-secret ./bin/xfer send --jid alice@localhost "$work/demo.bin" bob@localhost
wait "$rxpid"; rxpid=""
echo "== sha-256 of what was sent and what arrived =="
sha256sum "$work/demo.bin" "$work/out/demo.bin"
