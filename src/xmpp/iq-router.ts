// Incoming iq get/set dispatch by (type, child name, namespace). Every request gets exactly one
// answer: the handler's result, the <error/> it throws, or service-unavailable when nobody
// handles it (RFC 6120 §8.2.3) — and a handler that crashes answers internal-server-error
// instead of taking the process down.
import { debug } from '../log.js';
import xml, { type Element } from '@xmpp/xml';
import { buildError } from '../protocol/stanza-error.js';

const log = debug('xfer:iq');

export interface IqRequest {
  stanza: Element;
  from: string;
  id: string;
  child: Element;
}
/** Return a child for the result (or undefined for an empty result); throw IqReplyError to fail. */
export type IqHandler = (req: IqRequest) => Element | undefined | void | Promise<Element | undefined | void>;

export class IqRouter {
  private handlers = new Map<string, IqHandler>();
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  constructor(private send: (el: Element) => Promise<unknown>) {}

  add(type: 'get' | 'set', xmlns: string, name: string, handler: IqHandler): () => void {
    const key = `${type} ${xmlns} ${name}`;
    // A silent replacement once let an IBB sender's close handler knock out a receiver's: one
    // owner per iq, and whoever needs to share it (IBB) routes by sid behind that one handler.
    if (this.handlers.has(key)) throw new Error(`internal: a handler for iq ${key} is already installed`);
    this.handlers.set(key, handler);
    return () => {
      if (this.handlers.get(key) === handler) this.handlers.delete(key);
    };
  }

  /** true when the stanza was an iq request and has been taken care of */
  route(stanza: Element): boolean {
    if (stanza.name !== 'iq') return false;
    const type = stanza.attrs.type;
    if (type !== 'get' && type !== 'set') return false;
    const id = stanza.attrs.id ?? '';
    const from = stanza.attrs.from ?? '';
    const child = stanza.getChildElements()[0];
    const handler = child && this.handlers.get(`${type} ${child.attrs.xmlns} ${child.name}`);
    const reply = (payload: Element | undefined, error?: Element) =>
      this.send(xml('iq', { type: error ? 'error' : 'result', to: from || undefined, id }, error ?? payload ?? null)).catch(() => {});
    if (!handler || !child) {
      void reply(undefined, buildError('cancel', 'service-unavailable'));
      return true;
    }
    this.running++;
    Promise.resolve()
      .then(() => handler({ stanza, from, id, child }))
      .then(
        (res) => reply(res ?? undefined),
        (err: any) => {
          if (err?.error?.name === 'error') return reply(undefined, err.error);
          log('handler for %s failed: %s', child.name, err?.stack ?? err);
          return reply(undefined, buildError('cancel', 'internal-server-error'));
        },
      )
      .finally(() => {
        if (--this.running === 0) this.idleWaiters.splice(0).forEach((f) => f());
      });
    return true;
  }

  /** Resolves when no handler is running (so that replies are sent before the stream closes). */
  idle(timeoutMs: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => (clearTimeout(t), resolve()));
    });
  }
}
