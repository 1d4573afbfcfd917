// `xfer receive`: be visible, answer SI offers from allowed senders, let the chosen transport
// fill a FileSink, verify and place the file. Ends after --count transfers (0 = keep running),
// at --timeout, or on SIGINT.
import { promises as fsp } from 'node:fs';
import { errors, toXferError, XferError } from '../errors.js';
import { FileSink } from '../files/sink.js';
import { answerPresence, bare, presence, receiverInfo, serveDisco } from '../negotiation/discovery.js';
import { NS } from '../protocol/ns.js';
import { buildAnswer, parseOffer, siCondition } from '../protocol/si.js';
import { throttledProgress, type Emit } from '../report/events.js';
import { METHOD_NS, receiverFor } from '../transports/index.js';
import { IncomingRegistry, type Incoming, type MethodName } from '../transports/types.js';
import { connect, replyError, type Session, type SessionOptions } from '../xmpp/session.js';
import xml from '@xmpp/xml';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { checkUrl, download, DownloadError } from '../http/download.js';
import { parseXOobMessage, type OobMessage } from '../protocol/oob.js';

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
  emit: Emit;
  signal: AbortSignal;
}

export interface ReceiveResult {
  received: number;
  failed: number;
  timedOut: boolean;
  error?: XferError;
}

export async function receive(opts: ReceiveOptions): Promise<ReceiveResult> {
  const { emit } = opts;
  const st = await fsp.stat(opts.outputDir).catch(() => undefined);
  if (!st?.isDirectory()) throw errors.file(`output directory ${opts.outputDir} does not exist`);
  await fsp.access(opts.outputDir, fsp.constants?.W_OK ?? 2).catch(() => {
    throw errors.file(`output directory ${opts.outputDir} is not writable`);
  });

  const session = await connect(opts.connection);
  const result: ReceiveResult = { received: 0, failed: 0, timedOut: false };
  const active = new Map<string, { sink: FileSink; abort: AbortController; from: string; method: string }>();
  let inFlight = 0; // accepted and not yet ended (active also holds ones still cleaning up)
  try {
    emit({ event: 'connected', jid: session.jid });
    const allowed = await allowPolicy(session, opts.from);
    const features = opts.methods.map((m) => METHOD_NS[m]);
    const info = receiverInfo(features);
    const registry = new IncomingRegistry();
    const uninstall = opts.methods.map((m) => receiverFor(m).install(session, registry, {
        ...opts,
        legacyOob: async (from: string, url: string) => {
          if (!allowed(from)) return new DownloadError('sender not allowed', 'not-acceptable');
          return receiveLink(from, { url }, 'oob');
        },
      }));

    let finishedResolve!: () => void;
    const finished = new Promise<void>((r) => (finishedResolve = r));
    let lost: Error | undefined;
    session.onClose((err) => {
      lost = err;
      for (const a of active.values()) a.abort.abort(err);
      finishedResolve();
    });
    const checkDone = () => {
      if (opts.count > 0 && result.received + result.failed >= opts.count) finishedResolve();
    };
    // When one method fails the sender offers the same file again with the next one (new sid).
    // So a failure counts only once that grace period passes without such a retry.
    const pendingFailures = new Map<string, { err: XferError; timer: NodeJS.Timeout }>();
    const countFailure = (key: string) => {
      const p = pendingFailures.get(key);
      if (!p) return;
      clearTimeout(p.timer);
      pendingFailures.delete(key);
      result.failed++;
      result.error ??= p.err;
      checkDone();
    };
    const settle = (key: string, err?: unknown) => {
      if (!err) {
        result.received++;
        return checkDone();
      }
      pendingFailures.set(key, { err: toXferError(err), timer: setTimeout(() => countFailure(key), opts.retryGraceMs) });
      if (opts.signal.aborted || opts.retryGraceMs === 0) countFailure(key);
    };

    interface Transfer {
      sid: string;
      from: string;
      name: string;
      size: number;
      md5?: string;
      sha256?: string;
      key: string;
    }
    /** Open the sink and the bookkeeping for one accepted transfer (SI offer or x:oob link). */
    const begin = async (t: Transfer, method: MethodName | 'upload' | 'oob', canContinue = false): Promise<Incoming> => {
      const sink = new FileSink({ dir: opts.outputDir, offeredName: t.name, size: t.size, md5: t.md5, sha256: t.sha256, overwrite: opts.overwrite, resume: opts.resume, canContinue });
      await sink.open();
      const abort = new AbortController();
      active.set(t.sid, { sink, abort, from: t.from, method });
      inFlight++;
      const progress = throttledProgress(emit, t.sid, method, t.size);
      const started = Date.now();
      let stall: NodeJS.Timeout | undefined;
      const armStall = () => {
        clearTimeout(stall);
        stall = setTimeout(() => abort.abort(errors.stall(`no data for ${opts.stallTimeoutMs / 1000} s`)), opts.stallTimeoutMs);
      };
      let done = false;
      let settledResolve!: (e: Error | undefined) => void;
      const settled = new Promise<Error | undefined>((r) => (settledResolve = r));
      // A failure is registered (settle) before any await, so that the sender's retry offer, which
      // can arrive right after our error reply, already finds it and is not turned away as busy.
      const fail = async (e: unknown) => {
        const x = toXferError(e);
        settle(t.key, x);
        await sink.abort(x);
        emit({ event: 'file-failed', direction: 'received', sid: t.sid, name: sink.name, code: x.code, reason: x.message, kept: sink.kept ? sink.bytes : undefined });
        settledResolve(x);
      };
      const end = async (err?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(stall);
        registry.remove(t.sid);
        inFlight--;
        try {
          if (err) return await fail(err);
          let r;
          try {
            r = await sink.finish();
          } catch (e) {
            return await fail(e);
          }
          progress(r.bytes, true);
          emit({ event: 'done', direction: 'received', sid: t.sid, method, name: sink.name, bytes: r.bytes, seconds: (Date.now() - started) / 1000, sha256: r.sha256, path: r.path, peer: t.from, verified: r.verified });
          settle(t.key);
          settledResolve(undefined);
        } finally {
          active.delete(t.sid);
        }
      };
      abort.signal.addEventListener('abort', () => void end(abort.signal.reason), { once: true });
      const inc = {
        sid: t.sid,
        from: t.from,
        method: method as MethodName,
        sink,
        signal: abort.signal,
        settled,
        onProgress: (b: number) => {
          armStall();
          progress(b);
        },
        complete: () => void end(),
        fail: (e: Error) => void end(e),
      };
      armStall();
      return inc;
    };

    session.handleIq('set', NS.si, 'si', async ({ from, child }) => {
      if (!allowed(from)) {
        emit({ event: 'declined', sid: child.attrs.id ?? '', from, name: child.getChild('file', NS.siFile)?.attrs.name, reason: 'sender not allowed' });
        throw replyError('cancel', 'forbidden', 'Offer Declined');
      }
      const parsed = parseOffer(child);
      if (!parsed.ok) {
        emit({ event: 'declined', sid: child.attrs.id ?? '', from, reason: parsed.reason });
        if (parsed.condition === 'bad-request') throw replyError('modify', 'bad-request', parsed.reason);
        throw replyError('cancel', 'bad-request', parsed.reason, siCondition(parsed.condition));
      }
      const offer = parsed.offer;
      const key = `${bare(from)}|${offer.name}|${offer.size}|${offer.sha256 ?? offer.md5 ?? ''}`;
      const retry = pendingFailures.get(key);
      if (retry) {
        clearTimeout(retry.timer);
        pendingFailures.delete(key);
      }
      emit({ event: 'offer-received', from, name: offer.name, size: offer.size, sid: offer.sid, methods: offer.methods });
      const decline = (reason: string) => {
        emit({ event: 'declined', sid: offer.sid, from, name: offer.name, reason });
        return replyError('cancel', 'forbidden', `Offer Declined: ${reason}`);
      };
      if (registry.has(offer.sid) || active.has(offer.sid)) throw decline('duplicate sid');
      if (opts.count > 0 && result.received + result.failed + inFlight + pendingFailures.size >= opts.count) throw decline('receiver is busy');
      const free = await freeBytes(opts.outputDir);
      if (free !== undefined && offer.size > free) throw decline(`not enough disk space (${offer.size} bytes offered, ${free} free)`);
      const method = opts.methods.find((m) => offer.methods.includes(METHOD_NS[m]));
      if (!method) {
        emit({ event: 'declined', sid: offer.sid, from, name: offer.name, reason: 'no common stream method' });
        throw replyError('cancel', 'bad-request', undefined, siCondition('no-valid-streams'));
      }
      const inc = await begin({ sid: offer.sid, from, name: offer.name, size: offer.size, md5: offer.md5, sha256: offer.sha256, key }, method, offer.range);
      registry.add(inc);
      const sink = inc.sink;
      const offset = sink.resumedFrom || undefined;
      emit({ event: 'accepted', sid: offer.sid, method, name: sink.name, offset });
      // XEP-0096 §3.3: <range offset/> in the answer makes the sender start there.
      return buildAnswer({ method: METHOD_NS[method], rangeOffset: offset });
    });

    if (opts.links) {
      session.onStanza((el) => {
        if (el.name !== 'message' || el.attrs.type === 'error') return;
        const link = parseXOobMessage(el);
        const from = el.attrs.from ?? '';
        if (!link || !from) return;
        if (!allowed(from)) {
          emit({ event: 'declined', sid: '', from, reason: 'link from a sender that is not allowed' });
          return;
        }
        void receiveLink(from, link, 'upload');
      });
    }
    /** A URL from an allowed sender outside SI (x:oob link, or a legacy jabber:iq:oob set). */
    const receiveLink = async (from: string, link: OobMessage, method: 'upload' | 'oob'): Promise<Error | undefined> => {
      const sid = `link-${randomBytes(6).toString('hex')}`;
      let name = 'file';
      try {
        const url = checkUrl(link.url);
        name = decodeURIComponent(url.pathname.split('/').pop() || 'file');
        const size = link.size ?? (await headSize(url));
        if (size === undefined) throw new DownloadError('link without a known size (no Content-Length)', 'not-acceptable');
        emit({ event: 'offer-received', from, name, size, sid, methods: [method] });
        if (opts.count > 0 && result.received + result.failed + inFlight + pendingFailures.size >= opts.count) throw new DownloadError('receiver is busy', 'not-acceptable');
        const inc = await begin({ sid, from, name, size, sha256: link.sha256, key: sid }, method);
        emit({ event: 'accepted', sid, method, name: inc.sink.name });
        try {
          await download(link.url, inc.sink, { signal: inc.signal, stallTimeoutMs: opts.stallTimeoutMs, onProgress: (b) => inc.onProgress(b) });
          inc.complete();
        } catch (err) {
          inc.fail(err as Error);
        }
        return await inc.settled;
      } catch (err) {
        const x = toXferError(err);
        emit({ event: 'declined', sid, from, name, reason: x.message });
        return x;
      }
    };

    // A sender that goes offline has given up (xfer's sender aborts when it loses its server
    // connection): fail its transfers now instead of waiting for the stall timeout. Not SOCKS5:
    // its stream reports its own end, and through a proxy the sender may leave while the proxy
    // still relays the last bytes.
    session.onStanza((el) => {
      if (el.name !== 'presence' || el.attrs.type !== 'unavailable') return;
      const who = (el.attrs.from ?? '').toLowerCase();
      for (const a of active.values()) {
        if (a.method !== 's5b' && a.from.toLowerCase() === who) setImmediate(() => a.abort.abort(errors.transfer(`${a.from} went offline during the transfer`)));
      }
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
    await Promise.race([finished, timeout, interrupted]);
    clearTimeout(timer);
    const reason = opts.signal.aborted ? errors.cancelled('interrupted') : result.timedOut ? errors.timeout('timed out') : lost;
    for (const a of active.values()) a.abort.abort(reason ?? errors.cancelled('receiver stopping'));
    // Let aborted transfers clean up their temporary files before the process goes.
    for (let i = 0; i < 50 && active.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    for (const key of [...pendingFailures.keys()]) countFailure(key);
    uninstall.forEach((u) => u());
    if (opts.signal.aborted) throw errors.cancelled('interrupted');
    if (lost && !(opts.count > 0 && result.received + result.failed >= opts.count)) throw toXferError(lost);
    return result;
  } finally {
    await session.close();
  }
}

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const s = await fsp.statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

/**
 * Who may send. With --from: exactly those JIDs (a bare JID allows all its resources).
 * Without: the account's roster contacts and the account itself (its other resources).
 */
async function allowPolicy(session: Session, from: string[]): Promise<(jid: string) => boolean> {
  if (from.length > 0) {
    const list = from.map((j) => j.toLowerCase());
    return (jid) => {
      const j = jid.toLowerCase();
      return list.some((a) => (a.includes('/') ? a === j : a === bare(j)));
    };
  }
  const contacts = new Set<string>([session.bare.toLowerCase()]);
  try {
    const res = await session.iq(undefined, 'get', xml('query', { xmlns: NS.roster }), 10000);
    for (const item of res.getChild('query', NS.roster)?.getChildren('item') ?? []) {
      const sub = item.attrs.subscription;
      if (item.attrs.jid && (sub === 'both' || sub === 'from' || sub === 'to')) contacts.add(item.attrs.jid.toLowerCase());
    }
  } catch {
    // No roster: only the account itself.
  }
  return (jid) => contacts.has(bare(jid));
}

async function headSize(url: URL): Promise<number | undefined> {
  try {
    const res = await request(url, { method: 'HEAD', headersTimeout: 10000 });
    await res.body.dump();
    const n = Number(res.headers['content-length']);
    return res.statusCode === 200 && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
