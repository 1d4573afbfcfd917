// `xfer send --method upload`: XEP-0363 HTTP File Upload, then a message whose body is the GET URL
// with a jabber:x:oob element (what Conversations, Dino, Gajim and Monal do). Works when the
// recipient is offline: the server stores the message. xfer adds the sha-256 (XEP-0300) and the
// size next to the x:oob so that an xfer receiver can verify what it downloads.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errors, toXferError } from '../errors.js';
import { DualHash, hexToB64 } from '../files/hash.js';
import { cacheEntry } from '../files/hash-cache.js';
import { discoInfo } from '../negotiation/discovery.js';
import { buildItemsQuery, parseItems } from '../protocol/disco.js';
import { NS } from '../protocol/ns.js';
import { buildXOobMessage } from '../protocol/oob.js';
import { buildSlotRequest, parseSlot } from '../protocol/upload.js';
import { checkUrl } from '../http/download.js';
import { putFile } from '../http/put.js';
import { StanzaError } from '../protocol/stanza-error.js';
import { throttledProgress, type Emit } from '../report/events.js';
import { connect, type Session, type SessionOptions } from '../xmpp/session.js';
import type { SendResult } from './send.js';

/** An upload server that takes nothing (or answers nothing) for this long has stalled (exit 10). */
const UPLOAD_IDLE_MS = 60_000;

export async function findUploadService(session: Session): Promise<string> {
  const res = await session.iq(session.domain, 'get', buildItemsQuery(), 10000);
  const items = parseItems(res.getChild('query', NS.discoItems)!);
  for (const it of [{ jid: session.domain }, ...items]) {
    try {
      const info = await discoInfo(session, it.jid, 5000);
      if (info.features.includes(NS.upload)) return it.jid;
    } catch {}
  }
  throw errors.transfer(`no HTTP File Upload service on ${session.domain}`);
}

export async function sendByUpload(opts: { connection: SessionOptions; files: string[]; to: string; desc?: string; emit: Emit; signal: AbortSignal }): Promise<SendResult> {
  const { emit } = opts;
  for (const f of opts.files) {
    const st = await fsp.stat(f).catch((e) => {
      throw errors.file(`cannot read ${f}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, e);
    });
    if (!st.isFile()) throw errors.file(`${f} is not a regular file`);
  }
  const session = await connect(opts.connection);
  const result: SendResult = { sent: 0, failed: 0 };
  try {
    emit({ event: 'connected', jid: session.jid, server: session.endpoint });
    const service = await findUploadService(session);
    // A bare JID: the server stores the link for whichever client comes online (or delivers it to
    // those online with priority >= 0); a full JID reaches that one resource, an xfer receiver too.
    const to = opts.to;
    for (const file of opts.files) {
      const name = path.basename(file);
      try {
        const { size } = await fsp.stat(file);
        // Links carry sha-256 only, sent after the PUT: hashed while uploading (one read of the
        // file), or taken from the cache for a file uploaded before and unchanged since.
        const known = await cacheEntry(file);
        const hash = known.hit ? undefined : new DualHash(false);
        let slot;
        try {
          slot = parseSlot((await session.iq(service, 'get', buildSlotRequest(name, size), 15000)).getChild('slot', NS.upload));
        } catch (err) {
          if (err instanceof StanzaError) throw errors.transfer(`upload slot refused: ${err.message}`);
          throw err;
        }
        if (!slot) throw errors.protocol('upload service sent no usable slot');
        const sid = `upload-${path.basename(new URL(slot.get).pathname)}`;
        emit({ event: 'offer', file, name, size, to, sid, methods: ['upload'] });
        emit({ event: 'method-tried', sid, method: 'upload' });
        const progress = throttledProgress(emit, sid, 'upload', size);
        const started = Date.now();
        const status = await putFile(checkUrl(slot.put), file, size, {
          headers: { ...slot.headers, 'content-type': 'application/octet-stream' },
          signal: opts.signal,
          idleMs: UPLOAD_IDLE_MS,
          onProgress: (sent) => progress(sent),
          tap: hash && ((c) => hash.update(c)),
        });
        if (status < 200 || status >= 300) throw errors.transfer(`upload PUT answered HTTP ${status}`);
        progress(size, true);
        const hashes = known.hit ?? hash!.digest();
        if (!known.hit) await known.save(hashes);
        await session.send(buildXOobMessage(to, { url: slot.get, desc: opts.desc, sha256: hexToB64(hashes.sha256), size }));
        emit({ event: 'done', direction: 'sent', sid, method: 'upload', name, file, bytes: size, seconds: (Date.now() - started) / 1000, sha256: hashes.sha256, peer: to });
        result.sent++;
      } catch (e) {
        const err = toXferError(e);
        if (opts.signal.aborted) throw err;
        result.failed++;
        result.error ??= err;
        emit({ event: 'file-failed', direction: 'sent', name, code: err.code, reason: err.message });
      }
    }
    return result;
  } finally {
    await session.close();
  }
}
