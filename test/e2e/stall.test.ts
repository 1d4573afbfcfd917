// Stall timeout (issue #6, item 7): a peer that stops moving bytes — but stays connected — is given
// up on after --stall-timeout on both sides, with exit 10 (ESTALL), nothing kept, and the peer told.
import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { listDir, randomFile, receiver, tempDir, xfer } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';
import { offer, offerFor, rawPeer } from '../helpers/raw-peer.js';
import { NS } from '../../src/protocol/ns.js';
import { buildInfoResult } from '../../src/protocol/disco.js';
import { buildAnswer, parseOffer } from '../../src/protocol/si.js';
import { buildData, buildOpen } from '../../src/protocol/ibb.js';
import { buildUsed, dstAddr, parseStreamhosts } from '../../src/protocol/bytestreams.js';
import { connectStreamhost } from '../../src/socks5/client.js';
import { replyError, type Session } from '../../src/xmpp/session.js';

const RAW = 'jon';
const XFER = 'kay';

describe('stall timeout', () => {
  let raw: Session;
  const held: net.Socket[] = [];
  before(async () => {
    raw = await rawPeer(RAW);
  });
  after(async () => {
    held.forEach((s) => s.destroy());
    await raw.close();
  });

  it('receiver: a sender that stops after one block -> exit 10, nothing kept, the sender gets a close', async () => {
    const out = tempDir();
    const rx = await receiver(XFER, ['-o', out, '--from', jidOf(RAW), '--once', '--retry-grace', '0', '--stall-timeout', '2', '--timeout', '60']);
    const to = rx.events.find((e) => e.event === 'listening').jid;
    const closed = new Promise<string>((resolve) => raw.handleIq('set', NS.ibb, 'close', ({ child }) => void resolve(child.attrs.sid ?? "")));
    const data = Buffer.alloc(100000, 7);
    const o = offerFor(data);
    await offer(raw, to, o);
    await raw.iq(to, 'set', buildOpen(o.sid, 4096));
    await raw.iq(to, 'set', buildData(o.sid, 0, data.subarray(0, 4096)));
    const t0 = Date.now();
    const r = await rx.done;
    const ms = Date.now() - t0;
    assert.equal(r.code, 10, r.stderr);
    assert.equal(r.events.find((e) => e.event === 'error')?.code, 'ESTALL');
    assert.ok(ms >= 1500 && ms < 8000, `gave up after ${ms} ms`);
    assert.equal(await closed, o.sid, 'the receiver closed the bytestream');
    assert.deepEqual(listDir(out), []);
  });

  /** A receiver that accepts and then never takes the bytes. */
  function stuckReceiver(method: 's5b' | 'ibb'): () => void {
    // Each handler is installed once per session (a second one is an error): uninstall after the test.
    const offs = [
    raw.handleIq('get', NS.discoInfo, 'query', () =>
      buildInfoResult({ identities: [{ category: 'client', type: 'pc' }], features: [NS.si, NS.siFile, NS.bytestreams, NS.ibb] }),
    ),
    raw.handleIq('set', NS.si, 'si', ({ child }) => {
      if (!parseOffer(child).ok) throw replyError('modify', 'bad-request');
      return buildAnswer({ method: method === 's5b' ? NS.bytestreams : NS.ibb });
    }),
    raw.handleIq('set', NS.bytestreams, 'query', async ({ from, child }) => {
      const q = parseStreamhosts(child)!;
      const h = q.hosts[0]!;
      const socket = await connectStreamhost(h.host, h.port, dstAddr(q.sid, from, raw.jid), 5000);
      // connected and never read (connectStreamhost hands it over paused): the sender's buffers fill up
      held.push(socket);
      return buildUsed(q.sid, h.jid);
    }),
    raw.handleIq('set', NS.ibb, 'open', () => undefined),
    raw.handleIq('set', NS.ibb, 'data', () => new Promise<undefined>(() => {})), // never acked
    ];
    return () => offs.forEach((off) => off());
  }

  for (const method of ['s5b', 'ibb'] as const) {
    it(`sender (${method}): a receiver that stops taking bytes -> exit 10 after --stall-timeout`, async () => {
      const uninstall = stuckReceiver(method);
      try {
      const f = randomFile(tempDir(), `stall-${method}.bin`, 64 << 20);
      const t0 = Date.now();
      const r = await xfer(XFER, ['send', f, raw.jid, '--methods', method, '--no-proxy', '--stall-timeout', '2']).done;
      const ms = Date.now() - t0;
      assert.equal(r.code, 10, JSON.stringify(r.events.filter((e) => e.event !== 'progress')));
      assert.equal(r.events.find((e) => e.event === 'file-failed')?.code, 'ESTALL');
      assert.ok(ms < 12000, `gave up after ${ms} ms`);
      } finally {
        uninstall();
      }
    });
  }
});
