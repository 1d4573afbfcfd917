#!/usr/bin/env bash
# The one test command (README, .ci/run): install what is missing, build, start the fixture
# servers, run every test, stop what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@xmpp/client-core ] || npm ci --no-audit --no-fund
# The third-party interop peer (test/interop): Debian's slixmpp, run with /usr/bin/python3.
if ! /usr/bin/python3 -c 'import slixmpp' 2>/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-slixmpp >/dev/null \
    || { $sudo apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-slixmpp >/dev/null; }
fi
npm run build --silent
trap 'fixtures/prosody/server.sh stop; fixtures/ejabberd/server.sh stop' EXIT
fixtures/prosody/server.sh start
fixtures/ejabberd/server.sh start
set -a; eval "$(fixtures/prosody/server.sh env)"; set +a
node --test --test-concurrency=2 "$@" ${XFER_TEST_DIRS:-build/test/}
