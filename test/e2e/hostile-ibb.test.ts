// A hostile sender against `xfer receive`: the receiver must refuse, exit non-zero where a
// transfer failed, and leave nothing under a final name (nor anywhere outside its directory).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import xml from '@xmpp/xml';
import { createHash } from 'node:crypto';
import { receiver, sha256File, tempDir, type Proc } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';
import { offer, offerFor, rawPeer } from '../helpers/raw-peer.js';
import { buildClose, buildData, buildOpen } from '../../src/protocol/ibb.js';
import { StanzaError } from '../../src/protocol/stanza-error.js';
import type { Session } from '../../src/xmpp/session.js';

const EVIL = 'mallory';
const RX = 'eve';
const OTHER = 'oscar';

describe('hostile IBB sender', () => {
  let mallory: Session;
  let oscar: Session;
  before(async () => {
    mallory = await rawPeer(EVIL);
    oscar = await rawPeer(OTHER);
  });
  after(async () => {
    await mallory.close();
    await oscar.close();
  });

  async function start(): Promise<{ rx: Proc; out: string; to: string }> {
    const out = tempDir();
    const rx = await receiver(RX, ['-o', out, '--from', jidOf(EVIL), '--once', '--timeout', '20', '--retry-grace', '0']);
    return { rx, out, to: rx.events.find((e) => e.event === 'listening').jid };
  }

  const conditionOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (err) {
      return err instanceof StanzaError ? err.condition : String(err);
    }
  };

  it('a name like ../../evil lands as DIR/evil and nowhere else', async () => {
    const { rx, out, to } = await start();
    const data = Buffer.from('evil bytes');
    const o = offerFor(data, { name: '../../evil' });
    assert.equal((await offer(mallory, to, o))?.method, 'http://jabber.org/protocol/ibb');
    await mallory.iq(to, 'set', buildOpen(o.sid, 4096));
    await mallory.iq(to, 'set', buildData(o.sid, 0, data));
    await mallory.iq(to, 'set', buildClose(o.sid));
    const r = await rx.done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out), ['evil']);
    assert.equal(await sha256File(path.join(out, 'evil')), createHash('sha256').update(data).digest('hex'));
    assert.ok(!existsSync(path.resolve(out, '../../evil')));
  });

  const failing: Array<[string, (s: Session, to: string, sid: string, data: Buffer) => Promise<string>, string]> = [
    ['invalid base64', (s, to, sid) => conditionOf(s.iq(to, 'set', xml('data', { xmlns: 'http://jabber.org/protocol/ibb', sid, seq: 0 }, 'not*base64'))), 'bad-request'],
    ["'=' inside base64", (s, to, sid) => conditionOf(s.iq(to, 'set', xml('data', { xmlns: 'http://jabber.org/protocol/ibb', sid, seq: 0 }, 'aG=sbG8h'))), 'bad-request'],
    ['a skipped seq', (s, to, sid, d) => conditionOf(s.iq(to, 'set', buildData(sid, 1, d))), 'unexpected-request'],
    ['a repeated seq', async (s, to, sid, d) => {
      await s.iq(to, 'set', buildData(sid, 0, d.subarray(0, 3)));
      return conditionOf(s.iq(to, 'set', buildData(sid, 0, d.subarray(3))));
    }, 'unexpected-request'],
    ['a block over the negotiated size', (s, to, sid) => conditionOf(s.iq(to, 'set', buildData(sid, 0, Buffer.alloc(5000)))), 'bad-request'],
    ['close before size bytes', async (s, to, sid, d) => {
      await s.iq(to, 'set', buildData(sid, 0, d.subarray(0, 3)));
      return conditionOf(s.iq(to, 'set', buildClose(sid)));
    }, 'ok'],
  ];
  for (const [label, act, want] of failing) {
    it(`${label}: refused, transfer fails, nothing kept`, async () => {
      const { rx, out, to } = await start();
      const data = Buffer.from('0123456789');
      const o = offerFor(data);
      await offer(mallory, to, o);
      await mallory.iq(to, 'set', buildOpen(o.sid, 4096));
      assert.equal(await act(mallory, to, o.sid, data), want);
      const r = await rx.done;
      assert.notEqual(r.code, 0);
      assert.ok(r.events.some((e) => e.event === 'file-failed'));
      assert.deepEqual(readdirSync(out), []);
    });
  }

  it('data from another JID is refused (item-not-found) and does not count', async () => {
    const { rx, out, to } = await start();
    const data = Buffer.from('0123456789');
    const o = offerFor(data);
    await offer(mallory, to, o);
    await mallory.iq(to, 'set', buildOpen(o.sid, 4096));
    assert.equal(await conditionOf(oscar.iq(to, 'set', buildData(o.sid, 0, Buffer.from('XXXXXXXXXX')))), 'item-not-found');
    await mallory.iq(to, 'set', buildData(o.sid, 0, data));
    await mallory.iq(to, 'set', buildClose(o.sid));
    const r = await rx.done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out), ['raw.bin']);
    // the foreign block must not have been mixed in
    assert.equal(await sha256File(path.join(out, 'raw.bin')), createHash('sha256').update(data).digest('hex'));
  });

  it('a hash that does not match the bytes: exit 9, nothing under the final name', async () => {
    const { rx, out, to } = await start();
    const data = Buffer.from('0123456789');
    const o = offerFor(Buffer.from('something else'), { size: data.length });
    await offer(mallory, to, o);
    await mallory.iq(to, 'set', buildOpen(o.sid, 4096));
    await mallory.iq(to, 'set', buildData(o.sid, 0, data));
    // The close is answered only after verification, so the sender learns that the file was refused.
    assert.equal(await conditionOf(mallory.iq(to, 'set', buildClose(o.sid))), 'not-acceptable');
    const r = await rx.done;
    assert.equal(r.code, 9, r.stderr);
    assert.deepEqual(readdirSync(out), []);
  });

  it('more bytes than offered: refused, exit 9', async () => {
    const { rx, out, to } = await start();
    const data = Buffer.from('0123456789');
    const o = offerFor(data, { size: 5 });
    await offer(mallory, to, o);
    await mallory.iq(to, 'set', buildOpen(o.sid, 4096));
    assert.equal(await conditionOf(mallory.iq(to, 'set', buildData(o.sid, 0, data))), 'not-acceptable');
    const r = await rx.done;
    assert.equal(r.code, 9, r.stderr);
    assert.deepEqual(readdirSync(out), []);
  });

  it('offers with a bad size or no sid are refused as bad-request', async () => {
    const { rx, to, out } = await start();
    for (const over of [{ size: -1 }, { size: '12abc' }, { size: '' }, { size: '1e3' }, { sid: undefined }, { sid: '' }]) {
      const bad = offerFor(Buffer.from('x'), over as any);
      assert.equal(await conditionOf(offer(mallory, to, bad)), 'bad-request', JSON.stringify(over));
    }
    rx.child.kill('SIGINT');
    const r = await rx.done;
    assert.equal(r.code, 130);
    assert.deepEqual(readdirSync(out), []);
  });

  it('a second offer with a sid already in use is refused; the first transfer is unaffected', async () => {
    const { rx, out, to } = await start();
    const data = Buffer.from('0123456789');
    const o = offerFor(data);
    await offer(mallory, to, o);
    assert.equal(await conditionOf(offer(mallory, to, offerFor(Buffer.from('other'), { sid: o.sid, name: 'other.bin' }))), 'forbidden');
    await mallory.iq(to, 'set', buildOpen(o.sid, 4096));
    assert.equal(await conditionOf(mallory.iq(to, 'set', buildData('no-such-sid', 0, data))), 'item-not-found', 'data for an unknown sid');
    await mallory.iq(to, 'set', buildData(o.sid, 0, data));
    await mallory.iq(to, 'set', buildClose(o.sid));
    const r = await rx.done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out), ['raw.bin']);
    assert.equal(await sha256File(path.join(out, 'raw.bin')), createHash('sha256').update(data).digest('hex'));
  });
});
