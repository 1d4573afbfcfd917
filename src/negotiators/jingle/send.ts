// Jingle File Transfer (XEP-0234) as the sending side (initiator): session-initiate with the
// file and the first transport, session-accept, the transport (XEP-0260 SOCKS5 or XEP-0261 IBB),
// on failure transport-replace to the next one inside the same session, then the sha-256 we
// computed while sending in a checksum session-info, and the receiver's session-terminate.
import { createHash, type Hash } from 'node:crypto';
import { debug } from '../../log.js';
import { cacheEntry } from '../../files/hash-cache.js';
import { readFileInto } from '../../files/hash.js';
import { errors, toXferError } from '../../errors.js';
import { NS } from '../../protocol/ns.js';
import type { Jingle } from '../../protocol/jingle.js';
import { buildChecksum, buildDescription, parseDescription } from '../../protocol/jingle-ft.js';
import { buildIbbTransport, parseIbbTransport, parseS5b } from '../../protocol/jingle-transports.js';
import { StanzaError } from '../../protocol/stanza-error.js';
import { streamFile } from '../../socks5/bytestream.js';
import { ibbEndpoint } from '../../transports/ibb.js';
import type { MethodName, SendContext } from '../../transports/types.js';
import { fromOfferError, toReason, verdictOrAbort } from '../../wire-errors.js';
import type { SendJob, SendNegotiator, SendOutcome } from '../types.js';
import { jingleEndpoint, newJingleSid, type JingleSession } from './session.js';
import { JingleS5b } from './s5b.js';

const log = debug('xfer:jingle');
export const JINGLE_METHODS: readonly MethodName[] = ['s5b', 'ibb'];
export const transportNs = (m: MethodName) => (m === 's5b' ? NS.jingleS5b : NS.jingleIbb);
const CONTENT = 'file';
/** after the stream broke mid-transfer, how long the receiver's terminate may take to say why */
const PEER_VERDICT_MS = 2000;
/** how long the receiver has to verify and say so after the checksum */
const VERDICT_TIMEOUT_MS = 60000;

export const jingleSender: SendNegotiator = {
  protocol: 'jingle',
  methods: JINGLE_METHODS,
  supports: (f) => f.includes(NS.jingle) && f.includes(NS.jingleFt) && JINGLE_METHODS.some((m) => f.includes(transportNs(m))),
  async send(job: SendJob): Promise<SendOutcome> {
    const { session: xmpp, peer, file: p, emit, signal } = job;
    // Transports both sides have, in our order (a peer that lists none gets ours).
    let remaining = job.methods.filter((m) => job.peerFeatures.includes(transportNs(m)));
    if (remaining.length === 0) remaining = [...job.methods];
    const js = jingleEndpoint(xmpp).open(newJingleSid(), peer, xmpp.jid, CONTENT);
    const s5bOpts = { ...job.transport, staggerMs: 300, candidateTimeoutMs: 3000 };
    let method = remaining[0]!;
    let s5b: JingleS5b | undefined;
    const transportFor = async (m: MethodName) => {
      if (m === 's5b') {
        s5b = new JingleS5b(xmpp, js, s5bOpts);
        return s5b.offer();
      }
      return buildIbbTransport({ sid: newJingleSid(), blockSize: job.transport.ibbBlockSize, stanza: 'iq' });
    };
    try {
      let transport = await transportFor(method);
      // The hash comes after the data (one read of the file); <hash-used/> announces it. A file
      // sent before and unchanged since (files/hash-cache.ts) is not hashed while sending: the
      // checksum comes from the cache. Not in the offer: Libervia 0.9 fails a session whose offer
      // carries a standard (binary) sha-256 (plugin_xep_0300 decodes the digest as UTF-8, since
      // it writes base64 of the hex itself); in a checksum it only logs that error.
      const known = await cacheEntry(p.file);
      const description = buildDescription({ name: p.name, path: p.path, size: p.size, date: p.mtime.toISOString(), desc: job.desc, hashes: {}, hashUsed: ['sha-256'], range: { offset: 0 } });
      emit({ event: 'offer', file: p.file, name: p.name, size: p.size, to: peer, sid: js.sid, methods: [...remaining], protocol: 'jingle' });
      try {
        await js.send('session-initiate', { description, transport });
      } catch (err) {
        throw err instanceof StanzaError ? fromOfferError(err.info, peer, 'jingle') : err;
      }
      const accept = await js.next((j) => j.action === 'session-accept', job.offerTimeoutMs, signal, 'answer to the offer');
      const offset = parseDescription(accept.content?.description)?.range?.offset ?? 0;
      if (offset < 0 || offset > p.size) throw errors.protocol(`${peer} asked for an impossible range offset ${offset}`);
      emit({ event: 'accepted', sid: js.sid, method, name: p.name, offset: offset || undefined, protocol: 'jingle' });
      let answer: Jingle = accept;
      for (;;) {
        emit({ event: 'method-tried', sid: js.sid, method });
        const t = job.track(js.sid, method, offset);
        let hash: Hash | undefined;
        let flowing = false;
        try {
          hash = known.hit ? undefined : await hashPrefix(p.file, offset);
          const onProgress = (b: number) => {
            flowing = true;
            t.onProgress(b);
          };
          const ctx: SendContext = { session: xmpp, peer, sid: '', path: p.file, size: p.size, offset, onProgress, tap: hash && ((c) => hash!.update(c)), signal: t.signal, options: job.transport };
          if (method === 's5b') {
            const theirs = parseS5b(answer.content?.transport);
            if (theirs?.kind !== 'candidates') throw errors.protocol(`${peer} accepted SOCKS5 without a transport`);
            const stream = await s5b!.connect(theirs.candidates, t.signal);
            await streamFile(stream.socket, ctx, false);
          } else {
            const ibb = parseIbbTransport(answer.content?.transport);
            if (!ibb) throw errors.protocol(`${peer} accepted IBB without a transport`);
            // XEP-0261: the responder may lower the block size; the initiator MUST use its value.
            await ibbEndpoint(xmpp).send({ ...ctx, sid: ibb.sid }, Math.min(ibb.blockSize, job.transport.ibbBlockSize));
          }
        } catch (e) {
          s5b?.close();
          if (signal.aborted) throw verdictOrAbort(js.endedByPeer ? js.endedWith : e, signal);
          if (t.stalled) throw t.stalled;
          const err = toXferError(e);
          // Bytes were moving and the stream broke: the receiver probably failed the file (a full
          // disk resets the socket) and its session-terminate, which says so, is on its way.
          if (flowing && js.state !== 'ended') await new Promise<void>((r) => (js.onEnd(() => r()), setTimeout(r, PEER_VERDICT_MS).unref()));
          if (js.endedWith && js.state === 'ended' && js.endedByPeer) throw js.endedWith;
          emit({ event: 'method-failed', sid: js.sid, method, code: err.code, reason: err.message });
          remaining = remaining.filter((m) => m !== method);
          if (remaining.length === 0 || !['ETRANSFER', 'ETRUNCATED', 'EPROTOCOL'].includes(err.code)) throw err;
          method = remaining[0]!;
          answer = await replace(js, method, await transportFor(method), signal);
          continue;
        } finally {
          t.stop();
        }
        s5b?.close();
        const sha256 = known.hit ? Buffer.from(known.hit.sha256, 'hex') : hash!.digest();
        if (!known.hit) await known.save({ sha256: sha256.toString('hex'), md5: '' });
        await js.send('session-info', { info: [buildChecksum('initiator', CONTENT, 'sha-256', sha256.toString('base64'))] }).catch((err) => log('checksum not taken: %s', err.message));
        // The receiver verifies and ends the session: success, or why not.
        await js.next((j) => (j.action === 'session-terminate' && j.reason?.condition === 'success') || (j.action === 'session-info' && j.info.some((i) => i.name === 'received')), VERDICT_TIMEOUT_MS, signal, 'confirmation of the file');
        js.terminate('success');
        return { sid: js.sid, method, offset, sha256: sha256.toString('hex') };
      }
    } catch (e) {
      const err = toXferError(e);
      js.terminate(toReason(err), err.message);
      throw err;
    } finally {
      s5b?.close();
      if (js.state !== 'ended') js.end(undefined);
    }
  },
};

/** transport-replace (XEP-0260 §2.5 / XEP-0166 §7.2.15): resolves with the peer's transport-accept. */
async function replace(js: JingleSession, m: MethodName, transport: ReturnType<typeof buildIbbTransport>, signal: AbortSignal): Promise<Jingle> {
  log('%s: transport-replace to %s', js.sid, m);
  try {
    await js.send('transport-replace', { transport });
  } catch (err) {
    throw errors.transfer(`${js.peer} refused transport-replace to ${m}: ${(err as Error).message}`);
  }
  const a = await js.next((j) => j.action === 'transport-accept' || j.action === 'transport-reject', 30000, signal, `answer to transport-replace (${m})`);
  if (a.action === 'transport-reject') throw errors.transfer(`${js.peer} rejected the fallback to ${m} (transport-reject)`);
  if (a.content?.transport?.attrs.xmlns !== transportNs(m)) throw errors.protocol(`${js.peer} accepted a transport that was not offered`);
  return a;
}

/** With a range offset the hash still covers the whole file: read the prefix first. */
async function hashPrefix(file: string, offset: number): Promise<Hash> {
  const h = createHash('sha256');
  if (offset > 0) await readFileInto(file, (c) => h.update(c), offset);
  return h;
}
