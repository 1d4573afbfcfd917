#!/usr/bin/env bash
# The one test command (README, .ci/run): install what is missing, build, start the fixture
# servers, run every test, stop what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@xmpp/client-core ] || npm ci --no-audit --no-fund
# The third-party interop peer (test/interop): Debian's slixmpp, run with /usr/bin/python3.
. fixtures/lib.sh
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null || apt_install python3-slixmpp
# The Jingle (and second SI) interop peer: Debian's Libervia backend and CLI (test/helpers/libervia.ts).
command -v libervia-backend >/dev/null && command -v libervia-cli >/dev/null || apt_install libervia-backend libervia-cli
# dnsmasq: the loopback DNS server that serves SRV records in test/e2e/dns.
command -v dnsmasq >/dev/null || apt_install dnsmasq-base
# socat and curl: the ceilings of the bench smoke test (test/e2e/bench-quick)
command -v socat >/dev/null && command -v curl >/dev/null || apt_install socat curl
npm run build --silent
# The SI sender's hash cache (src/files/hash-cache.ts) of this run, not the user's.
export XDG_CACHE_HOME="$PWD/.run/cache"
# A Libervia backend left by an interrupted run (its PID file under .run/): ours, stop it.
stop_libervia() {
  local f
  for f in .run/libervia*/backend.pid; do
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; fi
  done
}
trap 'stop_libervia; fixtures/prosody/server.sh stop; fixtures/ejabberd/server.sh stop; XFER_PROSODY_PORT_BASE=27220 XFER_PROSODY_RUN=$PWD/.run/prosody-faults fixtures/prosody/server.sh stop; XFER_PROSODY_PORT_BASE=27320 XFER_PROSODY_RUN=$PWD/.run/prosody-reconnect fixtures/prosody/server.sh stop; XFER_PROSODY_PORT_BASE=27420 XFER_PROSODY_RUN=$PWD/.run/prosody-stock fixtures/prosody/server.sh stop; XFER_PROSODY_PORT_BASE=25420 XFER_PROSODY_RUN=$PWD/.run/prosody-bench-stock fixtures/prosody/server.sh stop' EXIT
fixtures/prosody/server.sh start
fixtures/ejabberd/server.sh start
set -a; eval "$(fixtures/prosody/server.sh env)"; set +a
node --test --test-concurrency=2 "$@" ${XFER_TEST_DIRS:-build/test/}
