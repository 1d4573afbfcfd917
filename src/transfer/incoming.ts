// The receiver's side of every transfer, whatever negotiated it (SI offer, Jingle session, x:oob
// link): open the safe sink, watch for stalls, emit progress, verify and place the file, count
// the outcome. Negotiators decide *whether* and *how*; this decides what a received file is.
//
//   begin() ──► Incoming ──(transport fills the sink)──► complete(lateHash?) ──► verified, placed
//                  │                                                 └────► fail(err)
//                  └── settled: undefined | the error, once the verdict is in
import { promises as fsp } from 'node:fs';
import { errors, toXferError, type XferError } from '../errors.js';
import { FileSink } from '../files/sink.js';
import { throttledProgress, type Emit } from '../report/events.js';
import { IncomingRegistry, type Incoming, type MethodName } from '../transports/types.js';

export interface IncomingOptions {
  outputDir: string;
  overwrite: boolean;
  resume: boolean;
  /** 0 = unlimited */
  count: number;
  stallTimeoutMs: number;
  /** a failed attempt counts only if the sender does not offer the same file again within this */
  retryGraceMs: number;
  emit: Emit;
  signal: AbortSignal;
}

export interface ReceiveResult {
  received: number;
  failed: number;
  timedOut: boolean;
  error?: XferError;
}

export interface TransferInfo {
  sid: string;
  from: string;
  name: string;
  size: number;
  md5?: string;
  /** base64, as on the wire; Jingle may instead pass it to complete() after the data */
  sha256?: string;
  /** same key = same file from the same sender: a retry within the grace period (retryKey()) */
  key: string;
  protocol?: 'si' | 'jingle';
  /** identifies the file for --resume when there is no hash in the offer (see FileSink) */
  resumeKey?: string;
  /** the sender's modification time, given to the saved file */
  date?: string;
  /** relative path when sent from a folder (xfer extension) */
  path?: string;
}

interface Active {
  sink: FileSink;
  abort: AbortController;
  from: string;
  method: string;
}

/**
 * Same sender, name and size: the same file, whichever negotiation offers it. No hash in it: a
 * Jingle offer carries none (its checksum comes last) and a retry by SI after a failed Jingle
 * session must still count as the retry it is.
 */
export const retryKey = (bareFrom: string, name: string, size: number) => `${bareFrom}|${name}|${size}`;

/** transfers received at the same time, at most (more offers are declined as busy) */
export const MAX_ACTIVE = 64;

export class IncomingTransfers {
  readonly result: ReceiveResult = { received: 0, failed: 0, timedOut: false };
  readonly registry = new IncomingRegistry();
  readonly finished: Promise<void>;
  private finish!: () => void;
  private active = new Map<string, Active>();
  private inFlight = 0; // accepted and not yet ended (active also holds ones still cleaning up)
  // When one method fails the sender offers the same file again with the next one (new sid).
  // So a failure counts only once that grace period passes without such a retry.
  private pendingFailures = new Map<string, { err: XferError; timer: NodeJS.Timeout }>();

  constructor(private opts: IncomingOptions) {
    this.finished = new Promise<void>((r) => (this.finish = r));
  }

  /** The connection is gone: abort what runs, and wait (briefly) until each has cleaned up and counted. */
  async abortAll(err: Error): Promise<void> {
    for (const a of this.active.values()) a.abort.abort(err);
    await this.drain();
  }

  /**
   * An offer of a file whose earlier attempt failed is accepted: that failure does not count
   * (yet). Called only once the offer passed every check: a retry that is itself declined
   * (busy, no common method, no space) must not erase the failure it would have replaced.
   */
  retrying(key: string): void {
    const retry = this.pendingFailures.get(key);
    if (!retry) return;
    clearTimeout(retry.timer);
    this.pendingFailures.delete(key);
  }

  /** `retryOf`: an offer of this file; its own pending failure is the slot it would take. */
  busy(retryOf?: string): boolean {
    // However many files were asked for, at most MAX_ACTIVE are open at once: a burst of
    // offers cannot open thousands of temporary files (or run out of descriptors).
    if (this.active.size + this.opening >= MAX_ACTIVE) return true;
    const { count } = this.opts;
    const pending = this.pendingFailures.size - (retryOf && this.pendingFailures.has(retryOf) ? 1 : 0);
    return count > 0 && this.result.received + this.result.failed + this.inFlight + pending >= count;
  }

  private opening = 0;

  get done(): boolean {
    return this.opts.count > 0 && this.result.received + this.result.failed >= this.opts.count;
  }

  /** Free space in the output directory (undefined: unknown). */
  async freeBytes(): Promise<number | undefined> {
    try {
      const s = await fsp.statfs(this.opts.outputDir);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return undefined;
    }
  }

  knows(sid: string): boolean {
    return this.registry.has(sid) || this.active.has(sid);
  }

  /** A sender that went offline has given up: fail its transfers (but see receive.ts). */
  abortFrom(jid: string, unless: (method: string) => boolean): void {
    const who = jid.toLowerCase();
    for (const a of this.active.values()) {
      if (!unless(a.method) && a.from.toLowerCase() === who) setImmediate(() => a.abort.abort(errors.transfer(`${a.from} went offline during the transfer`)));
    }
  }

  /** Until no transfer is active, at most 1 s: time to remove temporary files and count. */
  private async drain(): Promise<void> {
    for (let i = 0; i < 50 && this.active.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
  }

  /**
   * Let transfers that are ending finish (bounded): their negotiators still have to say the
   * verdict (a Jingle session-terminate) before the connection closes.
   */
  async quiesce(): Promise<void> {
    await this.drain();
    await new Promise((r) => setImmediate(r));
  }

  /** Abort what still runs, let it remove its temporary files, count pending failures. */
  async shutdown(reason: Error): Promise<void> {
    for (const a of this.active.values()) a.abort.abort(reason);
    await this.drain();
    for (const key of [...this.pendingFailures.keys()]) this.countFailure(key);
  }

  private countFailure(key: string): void {
    const p = this.pendingFailures.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pendingFailures.delete(key);
    this.result.failed++;
    this.result.error ??= p.err;
    if (this.done) this.finish();
  }

  private settle(key: string, err?: unknown): void {
    if (!err) {
      this.result.received++;
      if (this.done) this.finish();
      return;
    }
    this.pendingFailures.set(key, { err: toXferError(err), timer: setTimeout(() => this.countFailure(key), this.opts.retryGraceMs) });
    if (this.opts.signal.aborted || this.opts.retryGraceMs === 0) this.countFailure(key);
  }

  /** Open the sink and the bookkeeping for one accepted transfer. */
  async begin(t: TransferInfo, firstMethod: MethodName | 'upload' | 'oob', canContinue = false): Promise<Incoming> {
    let method = firstMethod;
    const { opts } = this;
    const { emit } = opts;
    const sink = new FileSink({ dir: opts.outputDir, offeredName: t.name, size: t.size, md5: t.md5, sha256: t.sha256, overwrite: opts.overwrite, resume: opts.resume, canContinue, resumeKey: t.resumeKey, date: t.date, relPath: t.path });
    // Checked again here, with no await before the count goes up: offers checked busy() at the
    // same time, before any of them got this far.
    if (this.active.size + this.opening >= MAX_ACTIVE) throw errors.declined('receiver is busy');
    this.opening++;
    try {
      await sink.open();
    } catch (err) {
      // The output directory went away or became unwritable, or no descriptor is left: this file
      // fails like any other (reported, counted), not silently.
      const x = toXferError(err);
      emit({ event: 'file-failed', direction: 'received', sid: t.sid, name: sink.name, code: x.code, reason: x.message });
      this.settle(t.key, x);
      throw x;
    } finally {
      this.opening--;
    }
    const abort = new AbortController();
    this.active.set(t.sid, { sink, abort, from: t.from, method });
    this.inFlight++;
    const progress = throttledProgress(emit, t.sid, method, t.size);
    const started = Date.now();
    let stall: NodeJS.Timeout | undefined;
    const armStall = () => {
      clearTimeout(stall);
      stall = setTimeout(() => abort.abort(errors.stall(`no data for ${opts.stallTimeoutMs / 1000} s`)), opts.stallTimeoutMs);
    };
    let lastBytes = sink.bytes;
    let done = false;
    let settledResolve!: (e: Error | undefined) => void;
    const settled = new Promise<Error | undefined>((r) => (settledResolve = r));
    // A failure is registered (settle) before any await, so that the sender's retry offer, which
    // can arrive right after our error reply, already finds it and is not turned away as busy.
    const fail = async (e: unknown) => {
      const x = toXferError(e);
      this.settle(t.key, x);
      await sink.abort(x);
      emit({ event: 'file-failed', direction: 'received', sid: t.sid, name: sink.name, code: x.code, reason: x.message, kept: sink.kept ? sink.bytes : undefined });
      settledResolve(x);
    };
    const end = async (err?: unknown, late?: { sha256?: string }) => {
      if (done) return;
      done = true;
      clearTimeout(stall);
      this.registry.remove(t.sid);
      this.inFlight--;
      try {
        if (err) return await fail(err);
        let r;
        try {
          r = await sink.finish(late);
        } catch (e) {
          return await fail(e);
        }
        progress(r.bytes, true);
        emit({ event: 'done', direction: 'received', sid: t.sid, method, protocol: t.protocol, name: sink.name, bytes: r.bytes, seconds: (Date.now() - started) / 1000, sha256: r.sha256, path: r.path, peer: t.from, verified: r.verified });
        this.settle(t.key);
        settledResolve(undefined);
      } finally {
        this.active.delete(t.sid);
      }
    };
    abort.signal.addEventListener('abort', () => void end(abort.signal.reason), { once: true });
    armStall();
    return {
      sid: t.sid,
      from: t.from,
      method: method as MethodName,
      sink,
      signal: abort.signal,
      settled,
      // Only bytes re-arm the watchdog: a peer that sends empty IBB blocks (or any other
      // no-op) every second must not keep a transfer alive with nothing arriving.
      onProgress: (b: number) => {
        if (b <= lastBytes) return;
        lastBytes = b;
        armStall();
        progress(b);
      },
      complete: (late?: { sha256?: string }) => void end(undefined, late),
      // Jingle's transport-replace moves a transfer to another transport mid-session.
      setMethod: (m: MethodName) => {
        method = m;
        const a = this.active.get(t.sid);
        if (a) a.method = m;
      },
      fail: (e: Error) => void end(e),
    };
  }
}
