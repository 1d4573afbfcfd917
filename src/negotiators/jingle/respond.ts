// Jingle File Transfer as the receiving side (responder): check a session-initiate against the
// allow policy and our transports, acknowledge it, open the file in the shared incoming
// lifecycle, session-accept with our own SOCKS5 candidates (or the IBB block size we take), run
// the transport (answering a transport-replace to IBB when SOCKS5 fails), wait a short bounded
// time for the checksum that comes after the data, and end the session with the verdict.
import { debug } from '../../log.js';
import { errors, toXferError } from '../../errors.js';
import { bare } from '../../negotiation/discovery.js';
import { NS } from '../../protocol/ns.js';
import type { Jingle, Reason } from '../../protocol/jingle.js';
import { buildDescription, parseChecksum, parseDescription, sha256Of, type JingleFile } from '../../protocol/jingle-ft.js';
import { buildIbbTransport, parseIbbTransport, parseS5b } from '../../protocol/jingle-transports.js';
import { readInto } from '../../socks5/bytestream.js';
import type { Incoming, MethodName } from '../../transports/types.js';
import { toReason } from '../../wire-errors.js';
import { replyError } from '../../xmpp/session.js';
import { retryKey } from '../../transfer/incoming.js';
import type { RespondContext, RespondNegotiator } from '../types.js';
import { jingleEndpoint, type JingleSession } from './session.js';
import { JingleS5b } from './s5b.js';
import { transportNs } from './send.js';

const log = debug('xfer:jingle');
/** After the last byte, how long a checksum that is still on its way may take. */
const CHECKSUM_WAIT_MS = 3000;
const REPLACE_WAIT_MS = 30000;

const methodOf = (ns: string | undefined): MethodName | undefined => (ns === NS.jingleS5b ? 's5b' : ns === NS.jingleIbb ? 'ibb' : undefined);

export const jingleResponder: RespondNegotiator = {
  protocol: 'jingle',
  // Only what xfer does: FT:5, the two transports, sha-256. Never WebRTC data channels.
  features: (methods) => {
    const t = methods.filter((m) => m === 's5b' || m === 'ibb').map(transportNs);
    return t.length ? [NS.jingle, NS.jingleFt, ...t] : [];
  },
  install(ctx: RespondContext) {
    const { session: xmpp, emit } = ctx;
    const endpoint = jingleEndpoint(xmpp);
    return endpoint.listen(async (j, from) => {
      const c = j.content;
      const name = c?.description?.getChild('file')?.getChildText('name') ?? undefined;
      if (!ctx.allowed(from)) {
        emit({ event: 'declined', sid: j.sid, from, name, reason: 'sender not allowed' });
        throw replyError('cancel', 'forbidden', 'Offer Declined');
      }
      const file = parseDescription(c?.description);
      if (!c || !file || c.creator !== 'initiator') {
        emit({ event: 'declined', sid: j.sid, from, name, reason: 'not a file offer xfer understands' });
        throw replyError('modify', 'bad-request', 'session-initiate without a file-transfer:5 description with name and size');
      }
      // Acknowledged from here on (XEP-0166 §6.3.2): every refusal is a session-terminate.
      const js = endpoint.open(j.sid, from, j.initiator ?? from, c.name);
      setImmediate(() => void respond(ctx, js, j, file).catch((err) => log('%s: %s', js.sid, err?.message)));
    });
  },
};

async function respond(ctx: RespondContext, js: JingleSession, j: Jingle, file: JingleFile): Promise<void> {
  const { session: xmpp, incoming, emit } = ctx;
  const from = js.peer;
  const method = methodOf(j.content?.transport?.attrs.xmlns);
  const decline = (reason: Reason, why: string) => {
    emit({ event: 'declined', sid: js.sid, from, name: file.name, reason: why });
    js.terminate(reason, why);
  };
  if (j.content?.security) return decline('security-error', 'encrypted transports (JET) are not supported; the file would be saved as ciphertext');
  // SOCKS5 offered but not wanted here (--methods ibb): accept, connect to nothing and say so
  // (candidate-error), so that the initiator falls back to IBB with transport-replace, as
  // Libervia and Conversations do; declining would end the session with no fallback.
  const refuseS5b = method === 's5b' && !ctx.methods.includes('s5b') && ctx.methods.includes('ibb');
  if (!method || (!ctx.methods.includes(method) && !refuseS5b)) return decline('unsupported-transports', `transport ${j.content?.transport?.attrs.xmlns ?? '(none)'} is not accepted here`);
  const offered = sha256Of(file.hashes);
  const key = retryKey(bare(from), file.name, file.size);
  emit({ event: 'offer-received', from, name: file.name, size: file.size, sid: js.sid, methods: [method], protocol: 'jingle' });
  if (incoming.knows(js.sid)) return decline('general-error', 'duplicate sid');
  if (incoming.busy(key)) return decline('busy', 'receiver is busy');
  const free = await incoming.freeBytes();
  if (free !== undefined && file.size > free) return decline('decline', `not enough disk space (${file.size} bytes offered, ${free} free)`);

  let inc: Incoming;
  incoming.retrying(key);
  try {
    inc = await incoming.begin({ sid: js.sid, from, name: file.name, size: file.size, sha256: offered, key, protocol: 'jingle', date: file.date, path: file.path, resumeKey: `jingle\0${bare(from)}\0${file.date ?? ''}` }, method, !!file.range);
  } catch (err) {
    const x = toXferError(err);
    return decline(x.code === 'EDECLINED' ? 'busy' : 'failed-application', x.message);
  }
  js.onEnd((err) => inc.fail(err));
  // The transport fills the sink; the verdict waits for the checksum (below), not for the transport.
  let dataDone!: () => void;
  const data = new Promise<void>((r) => (dataDone = r));
  const view = (sid: string): Incoming => ({ ...inc, sid, verdictOnStream: false, complete: () => dataDone(), fail: (e) => inc.fail(e), onProgress: (b) => inc.onProgress(b), signal: inc.signal, settled: inc.settled });
  const offset = inc.sink.resumedFrom;
  const description = buildDescription({ ...file, hashes: {}, hashUsed: [], range: file.range ? { offset } : undefined });
  emit({ event: 'accepted', sid: js.sid, method, name: inc.sink.name, offset: offset || undefined, protocol: 'jingle' });

  let current: MethodName = method;
  let transportEl = j.content!.transport!;
  let s5b: JingleS5b | undefined;
  let ibbSid: string | undefined;
  const runIbb = (el = transportEl) => {
    const t = parseIbbTransport(el)!;
    const blockSize = Math.min(t.blockSize, ctx.ibbMaxBlockSize);
    incoming.registry.add({ ...view(t.sid), method: 'ibb' });
    ibbSid = t.sid;
    return buildIbbTransport({ sid: t.sid, blockSize, stanza: 'iq' });
  };
  try {
    if (current === 's5b') {
      const theirs = parseS5b(transportEl);
      if (theirs?.kind !== 'candidates') throw errors.protocol('SOCKS5 transport without candidates');
      const transport = refuseS5b ? { direct: false, directHosts: [], directPort: 0, proxies: [], proxyDiscovery: false } : ctx.transport;
      s5b = new JingleS5b(xmpp, js, { ...transport, staggerMs: ctx.s5bStaggerMs, candidateTimeoutMs: ctx.s5bCandidateTimeoutMs, acceptHost: ctx.acceptHost }, theirs.sid);
      await js.send('session-accept', { description, transport: await s5b.offer() });
      try {
        const stream = await s5b.connect(refuseS5b ? [] : theirs.candidates, inc.signal);
        void readInto(stream, view(js.sid), false);
      } catch (err) {
        s5b.close();
        if (js.state === 'ended' || inc.signal.aborted) throw err;
        log('%s: SOCKS5 failed (%s); waiting for transport-replace', js.sid, (err as Error).message);
        // Only the initiator falls back (XEP-0260 §2.5): answer its transport-replace.
        const r = await js.next((x) => x.action === 'transport-replace', REPLACE_WAIT_MS, inc.signal, 'transport-replace after SOCKS5 failed');
        if (methodOf(r.content?.transport?.attrs.xmlns) !== 'ibb' || !ctx.methods.includes('ibb') || !parseIbbTransport(r.content?.transport)) {
          await js.send('transport-reject', { transport: r.content?.transport }).catch(() => {});
          throw errors.transfer(`SOCKS5 failed and the fallback offered is not acceptable (${(err as Error).message})`);
        }
        current = 'ibb';
        inc.setMethod?.('ibb');
        transportEl = r.content!.transport!;
        await js.send('transport-accept', { transport: runIbb() });
      }
    } else {
      await js.send('session-accept', { description, transport: runIbb() });
    }
    // Ended before the last byte (stall, Ctrl-C, the peer's terminate, a bad block): say why.
    const early = await Promise.race([data.then(() => undefined), inc.settled.then((e) => e ?? errors.transfer('ended early'))]);
    if (early) return js.terminate(toReason(toXferError(early)), early.message);
    // The checksum may already be here, be on its way, or never come (Dino sends none).
    let sha256 = offered;
    if (!sha256) {
      const cs = await js.next((x) => x.action === 'session-info' && x.info.some((i) => parseChecksum(i)), CHECKSUM_WAIT_MS, inc.signal, 'checksum').catch(() => undefined);
      const hashes = cs?.info.map(parseChecksum).find((h) => h) ?? {};
      sha256 = sha256Of(hashes);
      if (cs && !sha256) log('%s: checksum without a usable sha-256 (%o); saved unverified', js.sid, Object.keys(hashes));
    }
    inc.complete({ sha256 });
    const failed = await inc.settled;
    if (failed) js.terminate(toReason(toXferError(failed)), failed.message);
    else js.terminate('success');
  } catch (err) {
    const x = toXferError(err);
    inc.fail(x);
    js.terminate(toReason(x), x.message);
  } finally {
    s5b?.close();
    if (ibbSid) incoming.registry.remove(ibbSid);
  }
}
