// Outgoing iq get/set and their replies, matched by id and sender.
//
// Why not @xmpp/iq's caller: it registers the reply's deferred, then awaits the socket write and
// only then the deferred. A reply (say, a server's instant service-unavailable bounce) that
// arrives before the write callback rejects a promise nobody listens to yet: an unhandled
// rejection, which takes the process down. Here the reply promise is observed from the start.
import { randomBytes } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../protocol/stanza-error.js';

interface Pending {
  resolve(el: Element): void;
  reject(err: Error): void;
  to?: string;
}

// RFC 6120 §8.1.2.1: the reply comes from the entity asked; a request without 'to' is answered by
// our own account or server, i.e. no 'from' or a JID without a resource. A reply with the right id
// from anyone else is not the answer (a third party guessing ids must not complete our request).
function fromMatches(p: Pending, from: string | undefined): boolean {
  if (p.to === undefined) return !from || !from.includes('/');
  return (from ?? '').toLowerCase() === p.to.toLowerCase();
}

export class IqRequests {
  private pending = new Map<string, Pending>();

  constructor(private send: (el: Element) => Promise<unknown>) {}

  /** true when the stanza was the reply to one of our requests */
  route(stanza: Element): boolean {
    if (stanza.name !== 'iq' || (stanza.attrs.type !== 'result' && stanza.attrs.type !== 'error')) return false;
    const p = this.pending.get(stanza.attrs.id ?? '');
    if (!p || !fromMatches(p, stanza.attrs.from)) return false;
    this.pending.delete(stanza.attrs.id ?? '');
    if (stanza.attrs.type === 'error') p.reject(StanzaError.fromElement(stanza));
    else p.resolve(stanza);
    return true;
  }

  async request(type: 'get' | 'set', to: string | undefined, child: Element, timeoutMs: number, onTimeout: () => Error): Promise<Element> {
    const id = `x${randomBytes(8).toString('hex')}`;
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<Element>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, to });
      timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    });
    reply.catch(() => {}); // observed now; the caller still gets the rejection below
    try {
      await this.send(xml('iq', { type, to, id }, child));
      return await reply;
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  /** Fail every request still waiting (the connection is gone). */
  failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
