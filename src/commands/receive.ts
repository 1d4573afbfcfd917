// `xfer receive`: be visible, let each negotiator (SI, Jingle) answer offers from allowed senders
// into the shared incoming lifecycle (transfer/incoming.ts), and report. Ends after --count
// transfers (0 = keep running), at --timeout, or on SIGINT.
import { promises as fsp } from 'node:fs';
import { errors, toXferError } from '../errors.js';
import { answerPresence, presence, receiverInfo, serveDisco } from '../negotiation/discovery.js';
import { allowPolicy } from '../negotiation/allow.js';
import { RESPONDERS } from '../negotiators/index.js';
import type { Emit } from '../report/events.js';
import { IncomingTransfers, type ReceiveResult } from '../transfer/incoming.js';
import { installLinks } from '../transfer/links.js';
import type { MethodName, TransportOptions } from '../transports/types.js';
import { connect, type SessionOptions } from '../xmpp/session.js';

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

  const session = await connect(opts.connection);
  const incoming = new IncomingTransfers(opts);
  const result = incoming.result;
  try {
    emit({ event: 'connected', jid: session.jid, server: session.endpoint });
    const allowed = await allowPolicy(session, opts.from);
    const links = installLinks(session, incoming, allowed, opts);
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
      legacyOob: links.legacyOob,
      transport: opts.transport ?? { direct: true, directHosts: [], directPort: 0, proxies: [], proxyDiscovery: true },
    };
    const uninstall = RESPONDERS.map((r) => r.install(ctx));
    const info = receiverInfo([...new Set(RESPONDERS.flatMap((r) => r.features(opts.methods)))]);

    let lost: Error | undefined;
    session.onClose((err) => {
      lost = err;
      incoming.end(err);
    });
    // A sender that goes offline has given up (xfer's sender aborts when it loses its server
    // connection): fail its transfers now instead of waiting for the stall timeout. Not SOCKS5:
    // its stream reports its own end, and through a proxy the sender may leave while the proxy
    // still relays the last bytes.
    session.onStanza((el) => {
      if (el.name === 'presence' && el.attrs.type === 'unavailable') incoming.abortFrom(el.attrs.from ?? '', (m) => m === 's5b');
    });

    serveDisco(session, info);
    answerPresence(session, info, allowed);
    await session.send(presence(info));
    emit({ event: 'listening', jid: session.jid, features: info.features });

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      if (opts.timeoutMs) timer = setTimeout(() => ((result.timedOut = true), resolve()), opts.timeoutMs);
    });
    const interrupted = new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([incoming.finished, timeout, interrupted]);
    clearTimeout(timer);
    const reason = opts.signal.aborted ? errors.cancelled('interrupted') : result.timedOut ? errors.timeout('timed out') : lost;
    // Let aborted transfers clean up their temporary files before the process goes.
    await incoming.shutdown(reason ?? errors.cancelled('receiver stopping'));
    uninstall.forEach((u) => u());
    links.uninstall();
    if (opts.signal.aborted) throw errors.cancelled('interrupted');
    if (lost && !incoming.done) throw toXferError(lost);
    return result;
  } finally {
    await session.close();
  }
}
