// Faults (issue #6, item 6): either side killed or interrupted mid-transfer, the XMPP server
// restarted, a proxy that is down, a full disk. Every case must end quickly with a clear error, a
// non-zero exit code and no temporary file left behind. Transfers are slowed with --limit-rate so
// that "mid-transfer" is a moment the test can hit; the stall timeout is left long (60 s) so that
// a quick end proves the failure was detected, not waited out.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import xml from '@xmpp/xml';
import { listDir, randomFile, receiver, sha256File, tempDir, xfer, type Proc } from '../helpers/cli.js';
import { jidOf, privateServer, ROOT, type Server } from '../helpers/fixture.js';
import { rawPeer } from '../helpers/raw-peer.js';
import { NS } from '../../src/protocol/ns.js';
import type { Session } from '../../src/xmpp/session.js';

const A = 'hal';
const B = 'ida';
const METHODS = ['s5b', 'ibb', 'oob'] as const;
const src = tempDir();
const big = randomFile(src, 'fault-16m.bin', 16 << 20);

/** A receiver and a slowed-down sender, started; resolves once `bytes` arrived. */
async function midTransfer(method: string, opts: { fx?: Server; rxArgs?: string[]; txUser?: string; rxUser?: string; bytes?: number } = {}) {
  const out = tempDir();
  const [txUser, rxUser] = [opts.txUser ?? A, opts.rxUser ?? B];
  const rx = await receiver(rxUser, ['-o', out, '--from', jidOf(txUser, opts.fx), '--once', '--retry-grace', '0', '--timeout', '120', ...(opts.rxArgs ?? [])], opts.fx);
  const tx = xfer(txUser, ['send', big, jidOf(rxUser, opts.fx), '--methods', method, '--no-proxy', '--limit-rate', '2M'], { fx: opts.fx });
  await rx.waitFor('progress', 30000, (e) => e.bytes >= (opts.bytes ?? 1 << 20));
  return { rx, tx, out };
}

async function timed(p: Proc) {
  const t0 = Date.now();
  const r = await p.done;
  return { ...r, ms: Date.now() - t0 };
}

const errorOf = (r: { events: any[] }) => r.events.find((e) => e.event === 'error');

describe('one side goes away mid-transfer', () => {
  for (const method of METHODS) {
    it(`${method}: receiver killed -> the sender stops within seconds, exit non-zero, says why`, async () => {
      const { rx, tx } = await midTransfer(method);
      rx.child.kill('SIGKILL');
      const r = await timed(tx);
      // README "When things go wrong": 6 when it saw the peer go away first, 8 when the stream broke first.
      assert.ok([6, 8].includes(r.code!), `exit ${r.code}`);
      assert.ok(r.ms < 15000, `sender took ${r.ms} ms`);
      assert.ok(errorOf(r)?.message, r.stderr);
    });

    it(`${method}: sender killed -> the receiver fails the file, removes its temporary file`, async () => {
      const { rx, tx, out } = await midTransfer(method);
      tx.child.kill('SIGKILL');
      const r = await timed(rx);
      assert.equal(r.code, 8, r.stderr);
      assert.ok(r.ms < 15000, `receiver took ${r.ms} ms`);
      assert.ok(r.events.some((e) => e.event === 'file-failed'));
      assert.deepEqual(listDir(out), []);
    });

    it(`${method}: Ctrl-C on the sender cancels at the receiver too`, async () => {
      const { rx, tx, out } = await midTransfer(method);
      tx.child.kill('SIGINT');
      const [t, r] = await Promise.all([timed(tx), timed(rx)]);
      assert.equal(t.code, 130, t.stderr);
      assert.ok([6, 8].includes(r.code!), `receiver exit ${r.code}`);
      assert.ok(r.ms < 15000, `receiver took ${r.ms} ms`);
      assert.deepEqual(listDir(out), []);
    });

    it(`${method}: Ctrl-C on the receiver cancels at the sender too`, async () => {
      const { rx, tx, out } = await midTransfer(method);
      rx.child.kill('SIGINT');
      const [t, r] = await Promise.all([timed(tx), timed(rx)]);
      assert.equal(r.code, 130, r.stderr);
      assert.ok([6, 8].includes(t.code!), `sender exit ${t.code}`);
      assert.ok(t.ms < 15000, `sender took ${t.ms} ms`);
      assert.deepEqual(listDir(out), []);
    });
  }
});

describe('disk full', () => {
  // SOCKS5 direct under SI too: there the only verdict is how the receiver closes the socket (RST).
  for (const [method, protocol] of [...METHODS.map((m) => [m, 'auto'] as const), ['s5b', 'si'] as const]) {
    it(`${method} (${protocol}): a write that fails (file size limit) -> exit 11, nothing left, the sender fails too`, async () => {
      const out = tempDir();
      const f = randomFile(src, `disk-full-${method}-${protocol}.bin`, 4 << 20);
      const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--retry-grace', '0', '--timeout', '60'], undefined, { fileSizeLimitKiB: 1024 });
      const [t, r] = await Promise.all([xfer(A, ['send', f, jidOf(B), '--methods', method, '--no-proxy', '--protocol', protocol]).done, rx.done]);
      assert.equal(r.code, 11, JSON.stringify(r.events) + JSON.stringify(t.events));
      assert.equal(errorOf(r)?.code, 'EFILE');
      assert.equal(t.code, 8, t.stderr);
      assert.deepEqual(listDir(out), []);
    });
  }

  it('an offer larger than the free space is declined before anything is written', async () => {
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--from', jidOf('jon'), '--once', '--timeout', '30']);
    const jon = await rawPeer('jon');
    try {
      const { offer, offerFor } = await import('../helpers/raw-peer.js');
      const o = offerFor(Buffer.from('x'), { size: 999_999_999_999_999 });
      await assert.rejects(offer(jon, rx.events[0].jid, o), (e: any) => e.condition === 'forbidden');
      const declined = await rx.waitFor('declined');
      assert.match(declined.reason, /disk space/);
      assert.deepEqual(listDir(out), []);
    } finally {
      rx.child.kill('SIGINT');
      await rx.done;
      await jon.close();
    }
  });
});

describe('a SOCKS5 proxy that is down', () => {
  let fake: Session;
  let deadPort: number;
  before(async () => {
    const net = await import('node:net');
    deadPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as import('node:net').AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    // A "proxy" that answers disco and its address query with a port nobody listens on.
    fake = await rawPeer('jon');
    fake.handleIq('get', NS.bytestreams, 'query', () =>
      xml('query', { xmlns: NS.bytestreams }, xml('streamhost', { jid: fake.jid, host: '127.0.0.1', port: String(deadPort) })),
    );
  });
  after(() => fake.close());

  // SI falls back with a fresh offer without s5b; Jingle with transport-replace inside the session
  // (the receiver offers no candidate of its own here, so SOCKS5 fails on both sides).
  for (const protocol of ['si', 'jingle'] as const) {
    it(`${protocol}: the only streamhost is a dead proxy: falls back to IBB`, async () => {
      const out = tempDir();
      const f = randomFile(src, `proxy-down-${protocol}.bin`, 1 << 20);
      const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60', '--no-direct', '--no-proxy']);
      const t = await timed(xfer(A, ['send', f, jidOf(B), '--protocol', protocol, '--methods', 's5b,ibb', '--no-direct', '--proxy', fake.jid]));
      const r = await rx.done;
      assert.equal(t.code, 0, t.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(t.events.some((e) => e.event === 'method-failed' && e.method === 's5b'));
      const done = r.events.find((e) => e.event === 'done');
      assert.equal(done.method, 'ibb');
      assert.equal(done.protocol, protocol);
      // one Jingle session throughout; SI needed a second offer
      const offers = t.events.filter((e) => e.event === 'offer');
      assert.equal(offers.length, protocol === 'si' ? 2 : 1);
      assert.equal(await sha256File(path.join(out, `proxy-down-${protocol}.bin`)), await sha256File(f));
      assert.ok(t.ms < 15000, `took ${t.ms} ms`);
    });
  }

  it('a dead proxy next to a live one: the live one wins the race, no fallback needed', async () => {
    const out = tempDir();
    const f = randomFile(src, 'proxy-race.bin', 1 << 20);
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
    const t = await xfer(A, ['send', f, jidOf(B), '--methods', 's5b', '--no-direct', '--proxy', fake.jid, '--proxy', 'proxy.localhost']).done;
    const r = await rx.done;
    assert.equal(t.code, 0, JSON.stringify(t.events));
    assert.equal(r.code, 0, JSON.stringify(r.events));
    assert.ok(!t.events.some((e) => e.event === 'method-failed'));
    assert.equal(await sha256File(path.join(out, 'proxy-race.bin')), await sha256File(f));
  });
});

describe('the XMPP server restarts mid-transfer', () => {
  const own = privateServer('prosody', 27220, 'prosody-faults');
  let fx: Server;
  before(() => {
    fx = own.start();
  });
  after(() => own.stop());

  for (const method of METHODS) {
    it(`${method}: both sides fail cleanly, nothing left`, async () => {
      const { rx, tx, out } = await midTransfer(method, { fx, txUser: 'alice', rxUser: 'bob' });
      own.restart();
      const [t, r] = await Promise.all([timed(tx), timed(rx)]);
      // Which side notices first (its own connection, or the peer's unavailable presence that the
      // server sends while shutting down) is a race; either way both end, say why, keep nothing.
      assert.ok([4, 6, 8].includes(t.code!), `sender exit ${t.code}`);
      assert.ok([4, 6, 8].includes(r.code!), `receiver exit ${r.code}`);
      assert.ok(t.ms < 20000 && r.ms < 20000, `sender ${t.ms} ms, receiver ${r.ms} ms`);
      assert.ok(errorOf(t)?.message && errorOf(r)?.message, t.stderr + r.stderr);
      assert.deepEqual(listDir(out), []);
    });
  }
});

describe('a receiver that stays up (--count 0)', () => {
  const own = privateServer('prosody', 27320, 'prosody-reconnect');
  let fx: Server;
  before(() => {
    fx = own.start();
  });
  after(() => own.stop());

  async function sendOne(name: string, out: string) {
    const f = randomFile(src, name, 200_000);
    const tx = await xfer('alice', ['send', f, jidOf('bob', fx)], { fx }).done;
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(await sha256File(path.join(out, name)), await sha256File(f));
  }

  it('the server restarts: it connects again and the next file arrives in the same process', async () => {
    const out = tempDir();
    const rx = await receiver('bob', ['-o', out, '--from', jidOf('alice', fx), '--count', '0'], fx);
    await sendOne('before-restart.bin', out);
    own.restart();
    await rx.waitFor('reconnecting', 20000);
    await rx.waitFor('listening', 30000, (e) => rx.events.filter((x) => x.event === 'listening').indexOf(e) === 1);
    await sendOne('after-restart.bin', out);
    rx.child.kill('SIGINT');
    const r = await rx.done;
    assert.equal(r.code, 130, r.stderr);
    assert.equal(r.events.filter((e) => e.event === 'done').length, 2);
  });

  it('a dead connection (server frozen) is noticed by the keepalive, and made again once it answers', async () => {
    const out = tempDir();
    const rx = await receiver('bob', ['-o', out, '--from', jidOf('alice', fx), '--count', '0', '--keepalive', '2'], fx);
    const pid = Number(readFileSync(path.join(ROOT, '.run/prosody-reconnect/pid'), 'utf8'));
    const t0 = Date.now();
    process.kill(pid, 'SIGSTOP');
    try {
      const rec = await rx.waitFor('reconnecting', 20000);
      assert.match(rec.reason, /keepalive/);
      assert.ok(Date.now() - t0 < 10000, `noticed after ${Date.now() - t0} ms`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await rx.waitFor('listening', 60000, (e) => rx.events.filter((x) => x.event === 'listening').indexOf(e) >= 1);
    await sendOne('after-freeze.bin', out);
    rx.child.kill('SIGINT');
    assert.equal((await rx.done).code, 130);
  });
});
