// A hostile receiver against `xfer send`: it accepts SOCKS5 and then claims a streamhost that was
// never offered. The sender must refuse to use it and fall back to the next method.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { randomFile, tempDir, xfer } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';
import { rawPeer } from '../helpers/raw-peer.js';
import { NS } from '../../src/protocol/ns.js';
import { buildInfoResult } from '../../src/protocol/disco.js';
import { buildAnswer, parseOffer } from '../../src/protocol/si.js';
import { buildUsed, parseStreamhosts } from '../../src/protocol/bytestreams.js';
import { replyError, type Session } from '../../src/xmpp/session.js';
import xml from '@xmpp/xml';

let evil: Session;
const offers: string[][] = [];
before(async () => {
  evil = await rawPeer('oscar');
  evil.handleIq('get', NS.discoInfo, 'query', () =>
    buildInfoResult({ identities: [{ category: 'client', type: 'pc' }], features: [NS.si, NS.siFile, NS.bytestreams, NS.ibb] }),
  );
  evil.handleIq('set', NS.si, 'si', ({ child }) => {
    const p = parseOffer(child);
    if (!p.ok) throw replyError('modify', 'bad-request');
    offers.push(p.offer.methods);
    // first offer: SOCKS5; the retry: refuse, so that the sender's result is clear
    if (p.offer.methods.includes(NS.bytestreams)) return buildAnswer({ method: NS.bytestreams });
    throw replyError('cancel', 'forbidden', 'Offer Declined');
  });
  evil.handleIq('set', NS.bytestreams, 'query', ({ child }) => {
    const q = parseStreamhosts(child)!;
    return buildUsed(q.sid, 'nobody@nowhere.example/never-offered');
  });
  await evil.send(xml('presence'));
});
after(() => evil.close());

it('streamhost-used naming a host never offered: refused, next method offered with a new sid', async () => {
  const f = randomFile(tempDir(), 'x.bin', 1000);
  const r = await xfer('oscar', ['send', f, evil.jid, '--methods', 's5b,ibb', '--no-proxy']).done;
  const failed = r.events.find((e) => e.event === 'method-failed');
  assert.equal(failed.method, 's5b');
  assert.equal(failed.code, 'EPROTOCOL');
  assert.match(failed.reason, /never offered/);
  assert.deepEqual(offers, [[NS.bytestreams, NS.ibb], [NS.ibb]]);
  assert.equal(r.code, 7);
});
