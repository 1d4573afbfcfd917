// An in-memory XMPP "server" for unit tests (xmpp.js's mockClient idea, for several parties):
// each `session(jid)` is a real Session as the negotiators and transports see it, with the real
// iq router and request matcher; stanzas go to the addressed full JID on the next turn of the
// event loop, with `from` stamped. No TLS, no server: negotiator and transport state machines
// run in milliseconds. SOCKS5 still uses real loopback sockets (local/remote address 127.0.0.1).
import xml, { type Element } from '@xmpp/xml';
import { buildJingle } from '../../src/protocol/jingle.js';
import { buildDescription } from '../../src/protocol/jingle-ft.js';
import { buildIbbTransport } from '../../src/protocol/jingle-transports.js';
import { IqRouter } from '../../src/xmpp/iq-router.js';
import { IqRequests } from '../../src/xmpp/iq-requests.js';
import { errors } from '../../src/errors.js';
import type { Session } from '../../src/xmpp/session.js';

export class FakeNet {
  private parties = new Map<string, (el: Element) => void>();
  /** every stanza that crossed, for assertions on the wire */
  readonly log: Array<{ from: string; to: string; el: Element }> = [];

  session(jid: string): Session {
    const router = new IqRouter((el) => send(el));
    const requests = new IqRequests((el) => send(el));
    const listeners = new Set<(el: Element) => void>();
    const send = async (el: Element) => {
      const stamped = xml(el.name, { ...el.attrs, from: jid }, ...el.children);
      const to = el.attrs.to ?? jid.split('/')[0]!.split('@')[1]!;
      this.log.push({ from: jid, to, el: stamped });
      setImmediate(() => {
        const deliver = this.parties.get(to);
        if (deliver) return deliver(stamped);
        // Nobody there: the "server" bounces iq requests like RFC 6120 §10.5.3.
        const type = stamped.attrs.type;
        if (stamped.name === 'iq' && (type === 'get' || type === 'set')) {
          const bounce = xml('iq', { type: 'error', id: stamped.attrs.id, from: to, to: jid }, xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));
          this.parties.get(jid)?.(bounce);
        }
      });
    };
    this.parties.set(jid, (el) => {
      if (requests.route(el) || router.route(el)) return;
      for (const l of listeners) l(el);
    });
    const closeFns: Array<(err?: Error) => void> = [];
    const [bare, domain] = [jid.split('/')[0]!, jid.split('@')[1]!.split('/')[0]!];
    return {
      jid,
      bare,
      domain,
      serverHost: domain,
      endpoint: 'in memory',
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.1',
      send,
      iq: (to, type, child, timeoutMs = 30000) => requests.request(type, to, child, timeoutMs, () => errors.timeout(`no answer from ${to} within ${timeoutMs} ms`)),
      handleIq: (type, xmlns, name, handler) => router.add(type, xmlns, name, handler),
      onStanza(fn) {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
      onClose: (fn) => void closeFns.push(fn),
      keepalive: () => () => {},
      close: async () => {
        this.parties.delete(jid);
        requests.failAll(errors.connect('closed'));
      },
    };
  }
}

/**
 * A hand-written Jingle session-initiate over IBB (for tests that play a scripted initiator):
 * content 'f', IBB sid `ibb`, 4096-byte blocks.
 */
export function ibbInitiate(o: { sid: string; from: string; ibb: string; name: string; size: number; hashUsed?: string[]; creator?: string; security?: Element }): Element {
  return buildJingle({
    action: 'session-initiate',
    sid: o.sid,
    initiator: o.from,
    content: {
      creator: o.creator ?? 'initiator',
      name: 'f',
      senders: 'initiator',
      description: buildDescription({ name: o.name, size: o.size, hashes: {}, hashUsed: o.hashUsed ?? [] }),
      transport: buildIbbTransport({ sid: o.ibb, blockSize: 4096, stanza: 'iq' }),
      security: o.security,
    },
  });
}
