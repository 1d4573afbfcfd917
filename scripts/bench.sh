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
trap '[ -n "$started" ] && fixtures/prosody/server.sh stop' EXIT
node build/scripts/bench.js "$@"
