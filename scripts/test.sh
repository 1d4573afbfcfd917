#!/usr/bin/env bash
# The one test command (README, .ci/run): install what is missing, build, start the fixture
# servers, run every test, stop what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@xmpp/client-core ] || npm ci --no-audit --no-fund
# The third-party interop peer (test/interop): Debian's slixmpp, run with /usr/bin/python3.
. fixtures/lib.sh
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null || apt_install python3-slixmpp
npm run build --silent
trap 'fixtures/prosody/server.sh stop; fixtures/ejabberd/server.sh stop' EXIT
fixtures/prosody/server.sh start
fixtures/ejabberd/server.sh start
set -a; eval "$(fixtures/prosody/server.sh env)"; set +a
node --test --test-concurrency=2 "$@" ${XFER_TEST_DIRS:-build/test/}
