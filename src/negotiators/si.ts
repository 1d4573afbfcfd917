// XEP-0095/0096 stream initiation as a negotiator. The receiver picks exactly one stream method,
// so "first that works" means: offer, run what was picked, and on failure a fresh offer (new
// sid) without it. Once a method is agreed, the sid goes to a transport that never knows SI
// negotiated it (slixmpp's `preauthorize_sid` idea).
import { toXferError, type XferError, errors } from '../errors.js';
import { hexToB64 } from '../files/hash.js';
import { cachedHashFile } from '../files/hash-cache.js';
import { bare } from '../negotiation/discovery.js';
import { newSid, offerFile } from '../negotiation/si-offer.js';
import { NS } from '../protocol/ns.js';
import { buildAnswer, parseOffer, siCondition } from '../protocol/si.js';
import { verdictOrAbort } from '../wire-errors.js';
import { METHOD_NS, methodByNs, receiverFor, senderFor } from '../transports/index.js';
import { replyError } from '../xmpp/session.js';
import { retryKey } from '../transfer/incoming.js';
import type { RespondContext, RespondNegotiator, SendJob, SendNegotiator, SendOutcome } from './types.js';

export const siSender: SendNegotiator = {
  protocol: 'si',
  methods: ['s5b', 'oob', 'ibb'],
  supports: (f) => f.includes(NS.si) && f.includes(NS.siFile),
  async send(job: SendJob): Promise<SendOutcome> {
    const { emit, file: p, session, peer, peerFeatures } = job;
    // XEP-0096 wants the hash in the offer, so the file is read once before offering; show it.
    // Its md5 `hash` attribute is optional: a peer that announces XEP-0300 sha-256 (xfer does)
    // checks the <hash/> element instead, and skipping md5 halves the time this pass takes.
    const md5 = !(peerFeatures.includes(NS.hashes) && peerFeatures.includes(NS.hashSha256));
    // Sending the same unchanged file again skips this pass (files/hash-cache.ts).
    const hashes = await cachedHashFile(p.file, {
      withMd5: md5,
      onProgress: (bytes) => {
        if (bytes === p.size || bytes % (64 << 20) < (1 << 20)) emit({ event: 'hashing', file: p.file, bytes, total: p.size });
      },
    });
    // Offer only what both sides support: the peer's disco features, if it lists transports.
    let remaining = job.methods.filter((m) => peerFeatures.includes(METHOD_NS[m]));
    if (remaining.length === 0) remaining = [...job.methods];
    let lastErr: XferError | undefined;
    let transport = job.transport;
    while (remaining.length > 0) {
      const sid = newSid();
      const methods = remaining.map((m) => METHOD_NS[m]);
      emit({ event: 'offer', file: p.file, name: p.name, size: p.size, to: peer, sid, methods: [...remaining], protocol: 'si' });
      const answer = await offerFile(
        session,
        peer,
        { sid, name: p.name, path: p.path, size: p.size, date: p.mtime.toISOString(), desc: job.desc, md5: hashes.md5 || undefined, sha256: hexToB64(hashes.sha256), range: true, methods },
        job.offerTimeoutMs,
      );
      const method = methodByNs(answer.method)!;
      const offset = answer.rangeOffset ?? 0;
      emit({ event: 'accepted', sid, method, name: p.name, offset: offset || undefined, protocol: 'si' });
      emit({ event: 'method-tried', sid, method });
      const t = job.track(sid, method, offset);
      try {
        await senderFor(method).send({ session, peer, sid, path: p.file, size: p.size, offset, onProgress: t.onProgress, signal: t.signal, options: transport });
      } catch (e) {
        if (job.signal.aborted) throw verdictOrAbort(e, job.signal);
        if (t.stalled) throw t.stalled;
        lastErr = toXferError(e);
        if (lastErr.code === 'EPEERFAILED') throw lastErr; // the receiver failed the file itself
        emit({ event: 'method-failed', sid, method, code: lastErr.code, reason: lastErr.message });
        // The peer asked for smaller IBB blocks and then refused them on the same sid: a new
        // offer (new sid) for IBB at that size, not a different method.
        const smaller = (e as { retryBlockSize?: number }).retryBlockSize;
        if (method === 'ibb' && smaller && smaller < transport.ibbBlockSize) {
          transport = { ...transport, ibbBlockSize: smaller };
          continue;
        }
        remaining = remaining.filter((m) => m !== method);
        continue;
      } finally {
        t.stop();
      }
      return { sid, method, offset, sha256: hashes.sha256 };
    }
    throw lastErr ?? errors.noMethod('no method left to try');
  },
};

export const siResponder: RespondNegotiator = {
  protocol: 'si',
  features: (methods) => [NS.si, NS.siFile, ...methods.map((m) => METHOD_NS[m])],
  install(ctx: RespondContext) {
    const { session, incoming, emit, allowed } = ctx;
    const uninstall = ctx.methods.map((m) => receiverFor(m).install(session, incoming.registry, ctx));
    const off = session.handleIq('set', NS.si, 'si', async ({ from, child }) => {
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
      const key = retryKey(bare(from), offer.name, offer.size);
      emit({ event: 'offer-received', from, name: offer.name, size: offer.size, sid: offer.sid, methods: offer.methods, protocol: 'si' });
      const decline = (reason: string) => {
        emit({ event: 'declined', sid: offer.sid, from, name: offer.name, reason });
        return replyError('cancel', 'forbidden', `Offer Declined: ${reason}`);
      };
      if (incoming.knows(offer.sid)) throw decline('duplicate sid');
      if (incoming.busy(key)) throw decline('receiver is busy');
      const free = await incoming.freeBytes();
      if (free !== undefined && offer.size > free) throw decline(`not enough disk space (${offer.size} bytes offered, ${free} free)`);
      const method = ctx.methods.find((m) => offer.methods.includes(METHOD_NS[m]));
      if (!method) {
        emit({ event: 'declined', sid: offer.sid, from, name: offer.name, reason: 'no common stream method' });
        throw replyError('cancel', 'bad-request', undefined, siCondition('no-valid-streams'));
      }
      incoming.retrying(key);
      let inc;
      try {
        inc = await incoming.begin({ sid: offer.sid, from, name: offer.name, size: offer.size, md5: offer.md5, sha256: offer.sha256, key, protocol: 'si', date: offer.date, path: offer.path }, method, offer.range);
      } catch (err) {
        throw replyError('cancel', 'not-acceptable', `Offer Declined: ${(err as Error).message}`);
      }
      incoming.registry.add(inc);
      const offset = inc.sink.resumedFrom || undefined;
      emit({ event: 'accepted', sid: offer.sid, method, name: inc.sink.name, offset, protocol: 'si' });
      // XEP-0096 §3.3: <range offset/> in the answer makes the sender start there.
      return buildAnswer({ method: METHOD_NS[method], rangeOffset: offset });
    });
    return () => {
      off();
      uninstall.forEach((u) => u());
    };
  },
};

