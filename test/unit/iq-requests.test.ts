import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import xml, { type Element } from '@xmpp/xml';
import { IqRequests } from '../../src/xmpp/iq-requests.js';
import { StanzaError } from '../../src/protocol/stanza-error.js';

const errorReply = (id: string) =>
  xml('iq', { type: 'error', id, from: 'peer@localhost/r' }, xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));

describe('IqRequests', () => {
  it('an error reply that arrives before the write completes rejects the request, not the process', async () => {
    let unhandled: unknown;
    const onUnhandled = (err: unknown) => (unhandled = err);
    process.on('unhandledRejection', onUnhandled);
    try {
      let requests!: IqRequests;
      requests = new IqRequests(async (el: Element) => {
        // the server bounces at once, before our write callback
        assert.ok(requests.route(errorReply(String(el.attrs.id))));
        await new Promise((r) => setTimeout(r, 20));
      });
      await assert.rejects(requests.request('set', 'peer@localhost/r', xml('query'), 1000, () => new Error('timeout')), (e: any) => e instanceof StanzaError && e.condition === 'service-unavailable');
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(unhandled, undefined);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('matches by id, ignores unknown ids, times out, and fails all on disconnect', async () => {
    const sent: Element[] = [];
    const requests = new IqRequests(async (el) => void sent.push(el));
    const a = requests.request('get', 'x@localhost', xml('query'), 1000, () => new Error('timeout a'));
    const b = requests.request('get', 'x@localhost', xml('query'), 30, () => new Error('timeout b'));
    const c = requests.request('get', 'x@localhost', xml('query'), 1000, () => new Error('timeout c'));
    await new Promise((r) => setImmediate(r));
    assert.equal(requests.route(xml('iq', { type: 'result', id: 'nope' })), false);
    assert.equal(requests.route(xml('iq', { type: 'result', id: sent[0]!.attrs.id, from: 'x@localhost' })), true);
    assert.equal((await a).attrs.id, sent[0]!.attrs.id);
    await assert.rejects(b, /timeout b/);
    requests.failAll(new Error('gone'));
    await assert.rejects(c, /gone/);
  });

  it('a reply with the right id from someone else is not the answer', async () => {
    const sent: Element[] = [];
    const requests = new IqRequests(async (el) => void sent.push(el));
    const a = requests.request('set', 'peer@localhost/r', xml('query'), 1000, () => new Error('timeout'));
    const mine = requests.request('get', undefined, xml('query'), 1000, () => new Error('timeout'));
    await new Promise((r) => setImmediate(r));
    const [id, idMine] = [sent[0]!.attrs.id, sent[1]!.attrs.id];
    assert.equal(requests.route(xml('iq', { type: 'result', id, from: 'mallory@localhost/x' })), false);
    assert.equal(requests.route(xml('iq', { type: 'result', id })), false);
    assert.equal(requests.route(xml('iq', { type: 'result', id: idMine, from: 'mallory@localhost/x' })), false);
    assert.equal(requests.route(xml('iq', { type: 'result', id, from: 'Peer@LOCALHOST/r' })), true);
    assert.equal(requests.route(xml('iq', { type: 'result', id: idMine, from: 'me@localhost' })), true);
    await a;
    await mine;
  });
});
