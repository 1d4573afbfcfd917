// The incoming lifecycle against hostile or unlucky senders, in memory (fake-net.ts): nothing but
// bytes keeps a transfer alive, and a declined retry does not erase the failure it would replace.
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { it } from 'node:test';
import { MAX_ACTIVE } from '../../src/transfer/incoming.js';
import { FakeNet, ibbInitiate } from '../helpers/fake-net.js';
import { receiverOn } from '../helpers/memory-receiver.js';
import { NS } from '../../src/protocol/ns.js';
import { buildClose, buildData, buildOpen } from '../../src/protocol/ibb.js';
import { buildOffer } from '../../src/protocol/si.js';

const A = 'alice@test/a';
const B = 'bob@test/b';
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`not within ${ms} ms`)), ms))]);

it('empty IBB blocks do not re-arm the stall watchdog: ESTALL after --stall-timeout', async () => {
  const net = new FakeNet();
  const [a, b] = [net.session(A), net.session(B)];
  const rx = await receiverOn(b, ['ibb'], {}, undefined, { stallTimeoutMs: 800 });
  a.handleIq('set', NS.jingle, 'jingle', () => undefined);
  await a.iq(B, 'set', ibbInitiate({ sid: 'st', from: A, ibb: 'ist', name: 'slow.bin', size: 10 }));
  await new Promise((r) => setTimeout(r, 50));
  await a.iq(B, 'set', buildOpen('ist', 4096));
  let seq = 0;
  const drip = setInterval(() => void a.iq(B, 'set', buildData('ist', seq++, Buffer.alloc(0))).catch(() => {}), 200);
  try {
    await within(rx.incoming.finished, 4000);
  } finally {
    clearInterval(drip);
  }
  assert.equal(rx.incoming.result.error?.code, 'ESTALL');
  rx.uninstall();
});

it('a retry offer that is itself declined leaves the earlier failure counted', async () => {
  const net = new FakeNet();
  const [a, b] = [net.session(A), net.session(B)];
  const rx = await receiverOn(b, ['ibb'], {}, undefined, { retryGraceMs: 1500 });
  const offer = (sid: string, methods: string[]) => buildOffer({ sid, name: 'r.bin', size: 100, range: false, methods });
  await a.iq(B, 'set', offer('s1', [NS.ibb]));
  await a.iq(B, 'set', buildOpen('s1', 4096));
  await a.iq(B, 'set', buildData('s1', 0, Buffer.alloc(10)));
  await a.iq(B, 'set', buildClose('s1')); // 10 of 100 bytes: a failure, pending for the retry grace
  await assert.rejects(a.iq(B, 'set', offer('s2', [NS.iqOob])), /no-valid-streams/); // a retry that cannot be taken
  await within(rx.incoming.finished, 4000);
  assert.equal(rx.incoming.result.failed, 1);
  assert.equal(rx.incoming.result.error?.code, 'ETRUNCATED');
  rx.uninstall();
});

it('the output directory gone mid-run: the offer fails, is reported and counted (no silent wait)', async () => {
  const net = new FakeNet();
  const [a, b] = [net.session(A), net.session(B)];
  const rx = await receiverOn(b, ['ibb']);
  rmSync(rx.out, { recursive: true, force: true });
  await assert.rejects(a.iq(B, 'set', buildOffer({ sid: 'gone1', name: 'x.bin', size: 10, range: false, methods: [NS.ibb] })), /not-acceptable/);
  await within(rx.incoming.finished, 2000);
  assert.equal(rx.incoming.result.error?.code, 'EFILE');
  assert.ok(rx.events.some((e) => e.event === 'file-failed' && e.code === 'EFILE'));
  rx.uninstall();
});

it(`a burst of offers opens at most ${MAX_ACTIVE} temporary files; the rest are declined as busy`, async () => {
  const net = new FakeNet();
  const [a, b] = [net.session(A), net.session(B)];
  const rx = await receiverOn(b, ['ibb'], {}, undefined, { count: 0 });
  const results = await Promise.allSettled(Array.from({ length: MAX_ACTIVE + 36 }, (_, i) => a.iq(B, 'set', buildOffer({ sid: `burst${i}`, name: `f${i}.bin`, size: 10, range: false, methods: [NS.ibb] }))));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, MAX_ACTIVE);
  assert.ok(results.filter((r) => r.status === 'rejected').every((r) => /busy/.test(String((r as PromiseRejectedResult).reason?.message))));
  assert.equal(readdirSync(rx.out).length, MAX_ACTIVE);
  rx.uninstall();
});
