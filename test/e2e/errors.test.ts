// Failures a user meets first: wrong password, unreachable server, offline peer, a declined
// offer, a missing file. Each has its own exit code and a JSON error with a stable code.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { randomFile, receiver, tempDir, xfer } from '../helpers/cli.js';
import path from 'node:path';
import { CA_FILE, jidOf, passwordOf } from '../helpers/fixture.js';
import { scramServer } from '../helpers/fake-server.js';

const A = 'carol';
const B = 'dave';
const errorOf = (events: any[]) => events.find((e) => e.event === 'error');

describe('errors', () => {
  const src = tempDir();
  const f = randomFile(src, 'x.bin', 1000);

  it('wrong password: exit 3, EAUTH', async () => {
    const r = await xfer(A, ['send', f, jidOf(B)], { env: { XFER_PASSWORD: 'nope' } }).done;
    assert.equal(r.code, 3);
    assert.equal(errorOf(r.events).code, 'EAUTH');
    assert.ok(!r.stdout.includes('nope') && !r.stderr.includes('nope'), 'password never printed');
  });

  it('unreachable server: exit 4, ECONNECT', async () => {
    const r = await xfer(A, ['send', f, jidOf(B)], { server: '127.0.0.1:1' }).done;
    assert.equal(r.code, 4);
    assert.equal(errorOf(r.events).code, 'ECONNECT');
  });

  it('untrusted certificate: exit 5, ETLS', async () => {
    // No --ca: the fixture's self-signed certificate is not in the system store.
    const r = await xfer(A, ['send', f, jidOf(B)], { noCa: true }).done;
    assert.equal(r.code, 5, r.stderr);
    assert.equal(errorOf(r.events).code, 'ETLS');
  });

  it('offline peer: exit 6, EPEEROFFLINE', async () => {
    const r = await xfer(A, ['send', f, jidOf('zoe'), '--peer-timeout', '2']).done;
    assert.equal(r.code, 6);
    assert.equal(errorOf(r.events).code, 'EPEEROFFLINE');
  });

  it('sender not allowed: offer declined, exit 7, nothing written', async () => {
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--from', jidOf('mallory'), '--timeout', '20', '--once']);
    const r = await xfer(A, ['send', f, jidOf(B) + '/' + rx.events[0].jid.split('/')[1]]).done;
    assert.equal(r.code, 7, r.stderr);
    assert.equal(errorOf(r.events).code, 'EDECLINED');
    rx.child.kill('SIGINT');
    await rx.done;
    assert.deepEqual(readdirSync(out), []);
  });

  it('missing file: exit 11 before connecting', async () => {
    const r = await xfer(A, ['send', '/nonexistent/file', jidOf(B)]).done;
    assert.equal(r.code, 11);
    assert.equal(errorOf(r.events).code, 'EFILE');
    assert.ok(!r.events.some((e) => e.event === 'connected'));
  });

  it('usage error: exit 2', async () => {
    const r = await xfer(A, ['send', f]).done;
    assert.equal(r.code, 2);
  });

  for (const bad of ['bob', 'bob@@localhost', 'bob@localhost/', '@localhost', 'bo b@localhost']) {
    it(`a malformed peer JID '${bad}' is a usage error (exit 2) before connecting`, async () => {
      const r = await xfer(A, ['send', f, bad]).done;
      assert.equal(r.code, 2, r.stderr);
      assert.equal(errorOf(r.events).code, 'EUSAGE');
      assert.ok(!r.events.some((e) => e.event === 'connected'));
    });
  }

  it("a typo in the peer's domain fails at once with the server's reason, not after the timeout", async () => {
    const t0 = Date.now();
    const r = await xfer(A, ['send', f, 'dave@no-such-domain.invalid', '--peer-timeout', '30']).done;
    assert.equal(r.code, 6, r.stderr);
    assert.match(errorOf(r.events).message, /remote-server-not-found|cannot be reached/);
    assert.ok(Date.now() - t0 < 10000, `took ${Date.now() - t0} ms`);
  });

  it('a second login on the same full JID: the first one exits 4 naming the conflict', async () => {
    const out = tempDir();
    const first = await receiver(B, ['-o', out, '--timeout', '60'], undefined, { jidResource: 'same' });
    const second = await receiver(B, ['-o', out, '--timeout', '5'], undefined, { jidResource: 'same' });
    const r = await first.done;
    second.child.kill('SIGINT');
    await second.done;
    assert.equal(r.code, 4, r.stderr);
    assert.match(errorOf(r.events).message, /conflict/);
  });

  it('a server that cannot prove it knows the password (wrong SCRAM signature): exit 3, nothing more sent', async () => {
    const fake = await scramServer(path.dirname(CA_FILE), { password: passwordOf(A), mechanisms: ['SCRAM-SHA-256'], wrongSignature: true });
    try {
      const r = await xfer(A, ['send', f, jidOf(B)], { server: `127.0.0.1:${fake.port}` }).done;
      const seen = await fake.seen;
      assert.equal(seen.proofValid, true, 'the client went through the SCRAM exchange correctly');
      assert.equal(r.code, 3, r.stderr);
      assert.equal(errorOf(r.events).code, 'EAUTH');
      assert.match(errorOf(r.events).message, /signature/);
    } finally {
      fake.close();
    }
  });

  it('SCRAM-SHA-256-PLUS is preferred when offered with a binding type we have (XEP-0440 tls-exporter)', async () => {
    const fake = await scramServer(path.dirname(CA_FILE), { password: passwordOf(A), mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'PLAIN'], bindingTypes: ['tls-server-end-point', 'tls-exporter'] });
    try {
      const r = await xfer(A, ['send', f, jidOf(B)], { server: `127.0.0.1:${fake.port}` }).done;
      const seen = await fake.seen;
      assert.deepEqual(seen, { mechanism: 'SCRAM-SHA-256-PLUS', gs2: 'p=tls-exporter,,', bindingMatched: true, proofValid: true });
      assert.equal(r.code, 4, r.stderr); // the fake server ends the connection after <success/>
    } finally {
      fake.close();
    }
  });

  it('-PLUS offered with no type we can compute on TLS 1.3 (no XEP-0440: tls-unique): plain SCRAM with GS2 "n" (ejabberd 23.01)', async () => {
    const fake = await scramServer(path.dirname(CA_FILE), { password: passwordOf(A), mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'] });
    try {
      await xfer(A, ['send', f, jidOf(B)], { server: `127.0.0.1:${fake.port}` }).done;
      const seen = await fake.seen;
      assert.deepEqual([seen.mechanism, seen.gs2, seen.proofValid], ['SCRAM-SHA-256', 'n,,', true]);
    } finally {
      fake.close();
    }
  });

  it('without -PLUS on offer the client says it could have bound ("y"), so a stripped offer shows', async () => {
    const fake = await scramServer(path.dirname(CA_FILE), { password: passwordOf(A), mechanisms: ['SCRAM-SHA-256'] });
    try {
      await xfer(A, ['send', f, jidOf(B)], { server: `127.0.0.1:${fake.port}` }).done;
      const seen = await fake.seen;
      assert.equal(seen.gs2, 'y,,');
      assert.equal(seen.bindingMatched, true);
      assert.equal(seen.proofValid, true);
    } finally {
      fake.close();
    }
  });
});
