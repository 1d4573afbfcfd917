#!/usr/bin/env bash
# npm run bench [-- --quick] [--only s5b-direct,oob: those methods vs paired ceilings, printed only] [--sizes 1K,64M,512M] [--runs 5] [--out DIR] [--render: redo md/svg from results.json]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@xmpp/client-core ] || npm ci --no-audit --no-fund
. fixtures/lib.sh
# the raw-copy ceiling (socat) and the HTTP one (curl)
command -v socat >/dev/null && command -v curl >/dev/null || apt_install socat curl
npm run build --silent
started=""
if ! [ -f .run/prosody/pid ] || ! kill -0 "$(cat .run/prosody/pid)" 2>/dev/null; then
  fixtures/prosody/server.sh start
  started=1
fi
# The stock-profile servers (scripts/bench-stock.ts) stop themselves; after an interrupt, here.
stop_stock() {
  XFER_PROSODY_PORT_BASE=25420 XFER_PROSODY_RUN=$PWD/.run/prosody-bench-stock fixtures/prosody/server.sh stop
  XFER_EJABBERD_PORT_BASE=35420 XFER_EJABBERD_RUN=$PWD/.run/ejabberd-bench-stock fixtures/ejabberd/server.sh stop
}
trap 'stop_stock; [ -n "$started" ] && fixtures/prosody/server.sh stop' EXIT
node build/scripts/bench.js "$@"
