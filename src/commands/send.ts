// `xfer send FILE... JID`: resolve the peer, then for each file hash it, offer it, and move it
// with the method the peer picked; when that method fails, offer again (new sid) without it.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errors, toXferError, XferError } from '../errors.js';
import { hashFile, hexToB64 } from '../files/hash.js';
import { receiverInfo, resolvePeer, serveDisco, presence } from '../negotiation/discovery.js';
import { newSid, offerFile } from '../negotiation/si-offer.js';
import { throttledProgress, type Emit } from '../report/events.js';
import { METHOD_NS, methodByNs, senderFor } from '../transports/index.js';
import { NS } from '../protocol/ns.js';
import type { MethodName, TransportOptions } from '../transports/types.js';
import { connect, type Session, type SessionOptions } from '../xmpp/session.js';

export interface SendOptions {
  connection: SessionOptions;
  files: string[];
  to: string;
  methods: MethodName[];
  desc?: string;
  offerTimeoutMs: number;
  peerTimeoutMs: number;
  transport: TransportOptions;
  emit: Emit;
  signal: AbortSignal;
}

export interface SendResult {
  sent: number;
  failed: number;
  error?: XferError; // the first failure, which decides the exit code
}

interface Prepared {
  file: string;
  name: string;
  size: number;
  mtime: Date;
}

export async function send(opts: SendOptions): Promise<SendResult> {
  const { emit } = opts;
  // Check every file before logging in: a typo should not cost a connection.
  const prepared: Prepared[] = [];
  for (const file of opts.files) {
    let st;
    try {
      st = await fsp.stat(file);
    } catch (err: any) {
      throw errors.file(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, err);
    }
    if (!st.isFile()) throw errors.file(`${file} is not a regular file`);
    prepared.push({ file, name: path.basename(file), size: st.size, mtime: st.mtime });
  }

  const session = await connect(opts.connection);
  const abortOnClose = new AbortController();
  session.onClose((err) => abortOnClose.abort(err));
  const signal = AbortSignal.any([opts.signal, abortOnClose.signal]);
  try {
    emit({ event: 'connected', jid: session.jid });
    const info = receiverInfo([]);
    serveDisco(session, info);
    await session.send(presence(info, undefined, -1));
    const peer = await resolvePeer(session, opts.to, info, opts.peerTimeoutMs);
    emit({ event: 'peer', jid: peer.jid });
    // The receiver's server says when it goes away (it answered our directed presence): stop at
    // once rather than after a transport timeout.
    const peerGone = new AbortController();
    session.onStanza((el) => {
      if (el.name === 'presence' && el.attrs.type === 'unavailable' && (el.attrs.from ?? '').toLowerCase() === peer.jid.toLowerCase()) {
        // After the stanzas already received are handled: an answer that came just before this
        // presence (say, the last ack) must still count.
        setImmediate(() => peerGone.abort(errors.peerOffline(`${peer.jid} went offline`)));
      }
    });
    const fileSignal = AbortSignal.any([signal, peerGone.signal]);
    const result: SendResult = { sent: 0, failed: 0 };
    for (const p of prepared) {
      if (signal.aborted) throw signal.reason;
      try {
        await sendOne(session, peer.jid, peer.features, p, opts, fileSignal);
        result.sent++;
      } catch (e) {
        const err = toXferError(e);
        if (signal.aborted) throw toXferError(signal.reason);
        result.failed++;
        result.error ??= err;
        emit({ event: 'file-failed', direction: 'sent', name: p.name, code: err.code, reason: err.message });
        // A peer that went away will not take the next file either.
        if (err.code === 'EPEEROFFLINE') break;
      }
    }
    return result;
  } finally {
    await session.close();
  }
}

async function sendOne(session: Session, peer: string, peerFeatures: string[], p: Prepared, opts: SendOptions, signal: AbortSignal): Promise<void> {
  const { emit } = opts;
  // XEP-0096 wants the hash in the offer, so the file is read once before offering; show it.
  // Its md5 `hash` attribute is optional: a peer that announces XEP-0300 sha-256 (xfer does)
  // checks the <hash/> element instead, and skipping md5 halves the time this pass takes.
  const md5 = !(peerFeatures.includes(NS.hashes) && peerFeatures.includes(NS.hashSha256));
  const hashes = await hashFile(p.file, (bytes) => {
    if (bytes === p.size || bytes % (64 << 20) < (1 << 20)) emit({ event: 'hashing', file: p.file, bytes, total: p.size });
  }, md5);
  // Offer only what both sides support: the peer's disco features, if it lists transports.
  let remaining = opts.methods.filter((m) => peerFeatures.includes(METHOD_NS[m]));
  if (remaining.length === 0) remaining = [...opts.methods];
  let lastErr: XferError | undefined;
  while (remaining.length > 0) {
    const sid = newSid();
    const methods = remaining.map((m) => METHOD_NS[m]);
    emit({ event: 'offer', file: p.file, name: p.name, size: p.size, to: peer, sid, methods: [...remaining] });
    const answer = await offerFile(
      session,
      peer,
      { sid, name: p.name, size: p.size, date: p.mtime.toISOString(), desc: opts.desc, md5: hashes.md5 || undefined, sha256: hexToB64(hashes.sha256), range: true, methods },
      opts.offerTimeoutMs,
    );
    const method = methodByNs(answer.method)!;
    const offset = answer.rangeOffset ?? 0;
    emit({ event: 'accepted', sid, method, name: p.name, offset: offset || undefined });
    emit({ event: 'method-tried', sid, method });
    const progress = throttledProgress(emit, sid, method, p.size);
    const started = Date.now();
    // Watchdog: a peer that stops reading (or acking) must not hold us forever. Any progress
    // re-arms it; a stall ends this file (the peer is there but stuck: another method would not help).
    const stall = new AbortController();
    const stallMs = opts.transport.stallTimeoutMs;
    let stallTimer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => stall.abort(errors.stall(`no progress for ${stallMs / 1000} s; giving up`)), stallMs);
    };
    arm();
    try {
      await senderFor(method).send({
        session,
        peer,
        sid,
        path: p.file,
        size: p.size,
        offset,
        onProgress: (b) => {
          arm();
          progress(b);
        },
        signal: AbortSignal.any([signal, stall.signal]),
        options: opts.transport,
      });
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if (stall.signal.aborted) throw stall.signal.reason;
      lastErr = toXferError(e);
      emit({ event: 'method-failed', sid, method, code: lastErr.code, reason: lastErr.message });
      remaining = remaining.filter((m) => m !== method);
      continue;
    } finally {
      clearTimeout(stallTimer);
    }
    progress(p.size, true);
    emit({
      event: 'done',
      direction: 'sent',
      sid,
      method,
      name: p.name,
      file: p.file,
      bytes: p.size - offset,
      seconds: (Date.now() - started) / 1000,
      sha256: hashes.sha256,
      peer,
    });
    return;
  }
  throw lastErr ?? errors.noMethod('no method left to try');
}
