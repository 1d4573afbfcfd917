// `xfer receive`: be visible, let each negotiator (SI, Jingle) answer offers from allowed senders
// into the shared incoming lifecycle (transfer/incoming.ts), and report; connect again when the
// server connection is lost. Ends after --count transfers (0 = keep running), at --timeout, or on
// SIGINT/SIGTERM.
import { promises as fsp } from 'node:fs';
import { errors, toXferError, type XferError } from '../errors.js';
import { answerPresence, presence, receiverInfo, serveDisco } from '../negotiation/discovery.js';
import { allowPolicy } from '../negotiation/allow.js';
import { hostPolicy } from '../net/addresses.js';
import { RESPONDERS } from '../negotiators/index.js';
import type { Emit } from '../report/events.js';
import { IncomingTransfers, type ReceiveResult } from '../transfer/incoming.js';
import { installLinks } from '../transfer/links.js';
import type { MethodName, TransportOptions } from '../transports/types.js';
import { connect, streamCondition, type Session, type SessionOptions } from '../xmpp/session.js';

export type { ReceiveResult };

export interface ReceiveOptions {
  connection: SessionOptions;
  outputDir: string;
  from: string[]; // allowed senders (bare or full JIDs); empty = roster contacts and own account
  count: number; // 0 = unlimited
  timeoutMs?: number;
  overwrite: boolean;
  methods: MethodName[]; // preference order when choosing from an offer
  stallTimeoutMs: number;
  /** a failed attempt counts only if the sender does not offer the same file again within this */
  retryGraceMs: number;
  /** download jabber:x:oob links (HTTP File Upload) sent by allowed senders */
  links: boolean;
  /** keep the bytes of broken transfers and continue them when the same file is offered again */
  resume: boolean;
  ibbMaxBlockSize: number;
  s5bStaggerMs: number;
  s5bCandidateTimeoutMs: number;
  /** SOCKS5 candidates the receiver offers in Jingle sessions (defaults: direct + discovered proxies) */
  transport?: Pick<TransportOptions, 'direct' | 'directHosts' | 'directPort' | 'proxies' | 'proxyDiscovery'>;
  /** connect only to IP literals no closer than our server link (see net/addresses.ts hostPolicy) */
  strictHosts?: boolean;
  /** presence priority (default -1: bare-JID and offline messages go to the account's other clients) */
  priority?: number;
  /** ping the server this often; a connection that does not answer is dropped and made again */
  keepaliveMs?: number;
  emit: Emit;
  signal: AbortSignal;
}

export async function receive(opts: ReceiveOptions): Promise<ReceiveResult> {
  const { emit } = opts;
  const st = await fsp.stat(opts.outputDir).catch(() => undefined);
  if (!st?.isDirectory()) throw errors.file(`output directory ${opts.outputDir} does not exist`);
  await fsp.access(opts.outputDir, fsp.constants?.W_OK ?? 2).catch(() => {
    throw errors.file(`output directory ${opts.outputDir} is not writable`);
  });

  const incoming = new IncomingTransfers(opts);
  const result = incoming.result;
  // One stop for everything: the count reached, --timeout, Ctrl-C/SIGTERM.
  let timer: NodeJS.Timeout | undefined;
  const stopped = Promise.race([
    incoming.finished,
    new Promise<void>((resolve) => {
      if (opts.timeoutMs) timer = setTimeout(() => ((result.timedOut = true), resolve()), opts.timeoutMs);
    }),
    new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true })),
  ]);
  let stop = false;
  void stopped.then(() => (stop = true));
  try {
    // A receiver that loses its server (restart, network change, a dead connection found by the
    // keepalive) connects again, with backoff, until its count is reached or it is stopped. The
    // first connection failing is an error as before: the account or server is wrong.
    for (let attempt = 0; ; attempt++) {
      let session: Session;
      try {
        session = await connect(opts.connection);
      } catch (err) {
        if (attempt === 0 || stop) throw err;
        if (await backoff(attempt, toXferError(err), stopped, emit)) break;
        continue;
      }
      const lost = await serve(session, incoming, opts, stopped);
      if (!lost || stop || incoming.done) break;
      // Reconnecting would not help (another client took this full JID, or the server refuses
      // us): stop with the server's reason.
      if (PERMANENT.has(streamCondition(lost) ?? '')) {
        await incoming.shutdown(lost);
        throw lost;
      }
      attempt = 0;
      if (await backoff(1, lost, stopped, emit)) break;
    }
    await incoming.shutdown(opts.signal.aborted ? errors.cancelled('interrupted') : result.timedOut ? errors.timeout('timed out') : errors.cancelled('receiver stopping'));
    if (opts.signal.aborted) throw errors.cancelled('interrupted');
    return result;
  } finally {
    clearTimeout(timer);
  }
}

const PERMANENT = new Set(['conflict', 'not-authorized', 'policy-violation', 'host-unknown', 'host-gone', 'invalid-from', 'improper-addressing', 'unsupported-version']);

/** Wait 1, 2, 4, … 30 s (with jitter) before connecting again; true when stopped meanwhile. */
async function backoff(attempt: number, why: XferError, stopped: Promise<void>, emit: Emit): Promise<boolean> {
  const seconds = Math.min(30, 2 ** Math.min(attempt - 1, 5)) * (0.8 + Math.random() * 0.4);
  emit({ event: 'reconnecting', in: Math.round(seconds * 10) / 10, reason: why.message });
  let t: NodeJS.Timeout | undefined;
  const slept = new Promise<boolean>((r) => (t = setTimeout(() => r(false), seconds * 1000)));
  const r = await Promise.race([slept, stopped.then(() => true)]);
  clearTimeout(t);
  return r;
}

/** One connection's worth of receiving; resolves with the error that lost it, or undefined when stopped. */
async function serve(session: Session, incoming: IncomingTransfers, opts: ReceiveOptions, stopped: Promise<void>): Promise<XferError | undefined> {
  const { emit } = opts;
  let lostResolve!: (e: XferError) => void;
  const lost = new Promise<XferError>((r) => (lostResolve = r));
  session.onClose((err) => lostResolve(toXferError(err ?? errors.connect('connection to the XMPP server lost'))));
  const stopKeepalive = session.keepalive(opts.keepaliveMs ?? 30000);
  const uninstall: Array<() => void> = [];
  try {
    emit({ event: 'connected', jid: session.jid, server: session.endpoint });
    const allowed = await allowPolicy(session, opts.from);
    const acceptHost = hostPolicy(session, !!opts.strictHosts);
    const links = installLinks(session, incoming, allowed, { ...opts, acceptHost });
    uninstall.push(links.uninstall);
    const ctx = {
      session,
      incoming,
      allowed,
      methods: opts.methods,
      emit,
      ibbMaxBlockSize: opts.ibbMaxBlockSize,
      s5bStaggerMs: opts.s5bStaggerMs,
      s5bCandidateTimeoutMs: opts.s5bCandidateTimeoutMs,
      stallTimeoutMs: opts.stallTimeoutMs,
      acceptHost,
      legacyOob: links.legacyOob,
      transport: opts.transport ?? { direct: true, directHosts: [], directPort: 0, proxies: [], proxyDiscovery: true },
    };
    uninstall.push(...RESPONDERS.map((r) => r.install(ctx)));
    const info = receiverInfo([...new Set(RESPONDERS.flatMap((r) => r.features(opts.methods)))]);
    // A sender that goes offline has given up (xfer's sender aborts when it loses its server
    // connection): fail its transfers now instead of waiting for the stall timeout. Not SOCKS5:
    // its stream reports its own end, and through a proxy the sender may leave while the proxy
    // still relays the last bytes.
    session.onStanza((el) => {
      if (el.name === 'presence' && el.attrs.type === 'unavailable') incoming.abortFrom(el.attrs.from ?? '', (m) => m === 's5b');
    });
    serveDisco(session, info);
    answerPresence(session, info, allowed);
    // Negative priority by default: messages to the bare JID, and the offline ones, stay for the
    // account's real clients (RFC 6121 §8.5.2, XEP-0160); xfer is addressed by full JID.
    await session.send(presence(info, undefined, opts.priority ?? -1));
    emit({ event: 'listening', jid: session.jid, features: info.features });
    const why = await Promise.race([lost, stopped.then(() => undefined)]);
    // Transfers this connection carried cannot go on without it: they fail (and count) now.
    if (why) await incoming.abortAll(why);
    // Stopped (the count reached): the last transfer's verdict still has to reach its sender.
    else await incoming.quiesce();
    return why;
  } catch (err) {
    // Lost while setting up (roster, presence): the same as lost while listening.
    const x = toXferError(err);
    if (x.code === 'ECONNECT' || x.code === 'ETIMEOUT') return x;
    throw x;
  } finally {
    stopKeepalive();
    uninstall.forEach((u) => u());
    await session.close();
  }
}
