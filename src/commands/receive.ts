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
import { IncomingRegistry, type MethodName } from '../transports/types.js';
import { connect, replyError, type Session, type SessionOptions } from '../xmpp/session.js';
import xml from '@xmpp/xml';

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
  const active = new Map<string, { sink: FileSink; abort: AbortController }>();
  let inFlight = 0; // accepted and not yet ended (active also holds ones still cleaning up)
  try {
    emit({ event: 'connected', jid: session.jid });
    const allowed = await allowPolicy(session, opts.from);
    const features = opts.methods.map((m) => METHOD_NS[m]);
    const info = receiverInfo(features);
    const registry = new IncomingRegistry();
    const uninstall = opts.methods.map((m) => receiverFor(m).install(session, registry, opts));

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
      const sink = new FileSink({ dir: opts.outputDir, offeredName: offer.name, size: offer.size, md5: offer.md5, sha256: offer.sha256, overwrite: opts.overwrite });
      await sink.open();
      const abort = new AbortController();
      active.set(offer.sid, { sink, abort });
      inFlight++;
      const progress = throttledProgress(emit, offer.sid, method, offer.size);
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
        settle(key, x);
        emit({ event: 'file-failed', direction: 'received', sid: offer.sid, name: sink.name, code: x.code, reason: x.message });
        await sink.abort();
        settledResolve(x);
      };
      const end = async (err?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(stall);
        registry.remove(offer.sid);
        inFlight--;
        try {
          if (err) return await fail(err);
          const r = await sink.finish().catch((e) => {
            throw Object.assign(new Error('finish'), { inner: e });
          });
          progress(r.bytes, true);
          emit({ event: 'done', direction: 'received', sid: offer.sid, method, name: sink.name, bytes: r.bytes, seconds: (Date.now() - started) / 1000, sha256: r.sha256, path: r.path, peer: from, verified: r.verified });
          settle(key);
          settledResolve(undefined);
        } catch (e) {
          await fail((e as any).inner ?? e);
        } finally {
          active.delete(offer.sid);
        }
      };
      abort.signal.addEventListener('abort', () => void end(abort.signal.reason), { once: true });
      registry.add({
        sid: offer.sid,
        from,
        method,
        sink,
        signal: abort.signal,
        settled,
        onProgress: (b) => {
          armStall();
          progress(b);
        },
        complete: () => void end(),
        fail: (e) => void end(e),
      });
      armStall();
      emit({ event: 'accepted', sid: offer.sid, method, name: sink.name });
      return buildAnswer({ method: METHOD_NS[method] });
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

