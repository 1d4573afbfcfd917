// Failures a user meets first: wrong password, unreachable server, offline peer, a declined
// offer, a missing file. Each has its own exit code and a JSON error with a stable code.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { randomFile, receiver, tempDir, xfer } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';

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
});
