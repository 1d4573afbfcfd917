// Jingle sessions over one XMPP session: one `jingle` iq handler that routes by sid, refuses
// iqs from anyone but the session's peer, acknowledges each action and queues it for the
// negotiator, which takes them with next(). The protocol engine (send.ts, respond.ts) never sees
// an iq; this file never decides anything about files.
//
//   PENDING ──session-accept──► ACTIVE ──session-terminate──► ENDED
//      └────────────session-terminate (decline, busy, …)──────────┘
import { randomBytes } from 'node:crypto';
import { debug } from '../../log.js';
import type { Element } from '@xmpp/xml';
import { errors, type XferError } from '../../errors.js';
import { buildJingle, jingleError, parseJingle, type Content, type Jingle, type JingleAction, type Reason } from '../../protocol/jingle.js';
import { NS } from '../../protocol/ns.js';
import { replyError, type Session } from '../../xmpp/session.js';
import { fromReason } from '../../wire-errors.js';

const log = debug('xfer:jingle');

export const newJingleSid = () => randomBytes(12).toString('hex');
const MAX_QUEUED = 32;

type Waiter = { match: (j: Jingle) => boolean; resolve: (j: Jingle) => void; reject: (e: Error) => void };

export class JingleSession {
  state: 'pending' | 'active' | 'ended' = 'pending';
  private queue: Jingle[] = [];
  private waiters = new Set<Waiter>();
  endedWith?: XferError;
  /** the peer ended it (its session-terminate), rather than we did */
  endedByPeer = false;

  constructor(
    private xmpp: Session,
    private endpoint: JingleEndpoint,
    readonly sid: string,
    readonly peer: string,
    readonly initiator: string,
    readonly contentName: string,
  ) {}

  get role(): 'initiator' | 'responder' {
    return this.initiator === this.xmpp.jid ? 'initiator' : 'responder';
  }

  /** Send an action; resolves with the iq result, rejects with the peer's StanzaError. */
  async send(action: JingleAction, parts: { description?: Element; transport?: Element; info?: Element[]; reason?: { condition: Reason; text?: string } } = {}): Promise<Element> {
    const content: Content | undefined = parts.description || parts.transport ? { creator: 'initiator', name: this.contentName, senders: 'initiator', description: parts.description, transport: parts.transport } : undefined;
    log('%s -> %s %s', this.sid, this.peer, action);
    if (action === 'session-accept') this.state = 'active';
    if (action === 'session-terminate') this.end(errors.cancelled(`session ended by us (${parts.reason?.condition})`));
    return this.xmpp.iq(this.peer, 'set', buildJingle({
      action,
      sid: this.sid,
      initiator: this.initiator,
      responder: action === 'session-accept' ? this.xmpp.jid : undefined,
      content,
      info: parts.info,
      reason: parts.reason,
    }), 30000);
  }

  /** Terminate (once) without waiting for the ack: the session is over for us either way. */
  terminate(condition: Reason, text?: string): void {
    if (this.state === 'ended') return;
    void this.send('session-terminate', { reason: { condition, text } }).catch(() => {});
  }

  /** The first queued (or future) action that matches; a session-terminate rejects with its reason. */
  next(match: (j: Jingle) => boolean, timeoutMs: number, signal: AbortSignal, what: string): Promise<Jingle> {
    const i = this.queue.findIndex(match);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]!);
    if (this.state === 'ended') return Promise.reject(this.endedWith);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiters.delete(w);
      };
      const w: Waiter = { match, resolve: (j) => (done(), resolve(j)), reject: (e) => (done(), reject(e)) };
      const onAbort = () => w.reject(signal.reason);
      const timer = setTimeout(() => w.reject(errors.timeout(`${this.peer} sent no ${what} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(w);
    });
  }

  /** Called by the endpoint for each action from the peer. */
  deliver(j: Jingle): void {
    log('%s <- %s %s%s', this.sid, this.peer, j.action, j.reason ? ` (${j.reason.condition})` : '');
    if (j.action === 'session-accept') this.state = 'active';
    if (j.action === 'session-terminate') {
      // A terminate that is itself the awaited answer (success after a checksum) resolves it.
      for (const w of this.waiters) if (w.match(j)) return void (w.resolve(j), this.end(undefined));
      // Kept: a success that comes before anyone waits for it (Dino ends as soon as it has the bytes).
      this.queue.push(j);
      this.endedByPeer = true;
      return this.end(fromReason(j.reason?.condition ?? 'general-error', j.reason?.text, this.peer));
    }
    for (const w of this.waiters) if (w.match(j)) return w.resolve(j);
    // Actions nobody waits for are kept for a later next(); a peer that floods them (a storm of
    // transport-replace) is told to wait instead of growing this queue without end.
    if (this.queue.length >= MAX_QUEUED) throw replyError('wait', 'resource-constraint', 'too many unanswered Jingle actions');
    this.queue.push(j);
  }

  end(err: XferError | undefined): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endedWith = err ?? errors.cancelled('session ended');
    this.endpoint.forget(this.sid);
    for (const w of [...this.waiters]) w.reject(this.endedWith);
    this.endListeners.splice(0).forEach((f) => f(this.endedWith!));
  }

  private endListeners: Array<(err: XferError) => void> = [];
  onEnd(f: (err: XferError) => void): void {
    if (this.state === 'ended') f(this.endedWith!);
    else this.endListeners.push(f);
  }
}

export type InitiateHandler = (j: Jingle, from: string) => Promise<void>;

export class JingleEndpoint {
  private sessions = new Map<string, JingleSession>();
  private onInitiate?: InitiateHandler;

  constructor(private xmpp: Session) {
    xmpp.handleIq('set', NS.jingle, 'jingle', async ({ from, child }) => {
      const j = parseJingle(child);
      if (!j) throw replyError('modify', 'bad-request', 'malformed jingle element');
      const js = this.sessions.get(j.sid);
      if (!js) {
        if (j.action === 'session-initiate' && this.onInitiate) return void (await this.onInitiate(j, from));
        throw replyError('cancel', 'item-not-found', undefined, jingleError('unknown-session'));
      }
      // Every Jingle iq from anyone but the session's peer is refused, as if the session did not exist.
      if (js.peer.toLowerCase() !== from.toLowerCase()) throw replyError('cancel', 'item-not-found', undefined, jingleError('unknown-session'));
      if (j.action === 'session-initiate') throw replyError('cancel', 'conflict', undefined, jingleError('tie-break'));
      // One content per session, created by the initiator (XEP-0166 §7.2): anything else is not ours.
      if (j.content && (j.content.name !== js.contentName || j.content.creator !== 'initiator')) throw replyError('cancel', 'item-not-found', 'no such content in this session');
      js.deliver(j);
      return undefined;
    });
  }

  listen(handler: InitiateHandler): () => void {
    this.onInitiate = handler;
    return () => (this.onInitiate = undefined);
  }

  open(sid: string, peer: string, initiator: string, contentName: string): JingleSession {
    const js = new JingleSession(this.xmpp, this, sid, peer, initiator, contentName);
    this.sessions.set(sid, js);
    return js;
  }

  forget(sid: string): void {
    this.sessions.delete(sid);
  }
}

const endpoints = new WeakMap<Session, JingleEndpoint>();
export function jingleEndpoint(xmpp: Session): JingleEndpoint {
  let ep = endpoints.get(xmpp);
  if (!ep) endpoints.set(xmpp, (ep = new JingleEndpoint(xmpp)));
  return ep;
}
