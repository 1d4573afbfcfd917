// The sender's driver for one file: pick the negotiators the peer speaks (Jingle first, then SI,
// unless --protocol says otherwise), give each a stall watchdog and progress per transport run,
// move on to the next negotiator when one fails in a way another could fix, and emit `done`.
import { errors, toXferError, type XferError } from '../errors.js';
import type { Emit, Protocol } from '../report/events.js';
import { throttledProgress } from '../report/events.js';
import type { MethodName, TransportOptions } from '../transports/types.js';
import type { Session } from '../xmpp/session.js';
import { verdictOrAbort } from '../wire-errors.js';
import type { PreparedFile, SendNegotiator, Tracker } from '../negotiators/types.js';
import { slowNotice } from './slow.js';

export interface OutgoingOptions {
  methods: MethodName[];
  negotiators: SendNegotiator[];
  desc?: string;
  offerTimeoutMs: number;
  transport: TransportOptions;
  emit: Emit;
}

// Failures another negotiation could get past (the transports, or this protocol itself); a
// decline, a stall, a peer gone or a corrupt file would only repeat.
const NEXT_PROTOCOL = new Set(['ETRANSFER', 'ENOMETHOD', 'EPROTOCOL', 'EPEERNOSI', 'ETRUNCATED']);

/** Negotiators this peer speaks that share at least one of our methods, in our order. */
export function usableNegotiators(all: SendNegotiator[], peerFeatures: string[], methods: MethodName[]): SendNegotiator[] {
  return all.filter((n) => n.supports(peerFeatures) && methods.some((m) => n.methods.includes(m)));
}

export async function sendFile(session: Session, peer: string, peerFeatures: string[], p: PreparedFile, opts: OutgoingOptions, signal: AbortSignal): Promise<void> {
  const { emit } = opts;
  const usable = usableNegotiators(opts.negotiators, peerFeatures, opts.methods);
  if (usable.length === 0) {
    throw errors.peerNoSi(`${peer} supports no file transfer xfer can use with --methods ${opts.methods.join(',')} (neither Jingle nor SI); 'xfer send --method upload' reaches it through HTTP upload`);
  }
  let lastErr: XferError | undefined;
  for (const n of usable) {
    const methods = opts.methods.filter((m) => n.methods.includes(m));
    let started = Date.now();
    const track = (sid: string, method: MethodName, offset = 0): Tracker => {
      started = Date.now();
      const progress = throttledProgress(emit, sid, method, p.size);
      // Any progress re-arms the watchdog; a stall ends this file (the peer is there but stuck:
      // another method would not help).
      const stall = new AbortController();
      const stallMs = opts.transport.stallTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => stall.abort(errors.stall(`no progress for ${stallMs / 1000} s; giving up`)), stallMs);
      };
      arm();
      let warned = false;
      return {
        onProgress: (b) => {
          arm();
          progress(b);
          if (warned) return;
          const slow = slowNotice(method, Date.now() - started, b - offset, p.size - b);
          if (slow) {
            warned = true;
            emit({ event: 'slow', sid, method, ...slow });
          }
        },
        signal: AbortSignal.any([signal, stall.signal]),
        get stalled() {
          return stall.signal.aborted ? toXferError(stall.signal.reason) : undefined;
        },
        stop: () => clearTimeout(timer),
      };
    };
    try {
      const out = await n.send({ session, peer, peerFeatures, file: p, methods, desc: opts.desc, offerTimeoutMs: opts.offerTimeoutMs, transport: opts.transport, emit, signal, track });
      emit({ event: 'progress', sid: out.sid, method: out.method, bytes: p.size, total: p.size, rate: Math.round((p.size - out.offset) / Math.max((Date.now() - started) / 1000, 1e-3)) });
      emit({ event: 'done', direction: 'sent', sid: out.sid, method: out.method, protocol: n.protocol as Protocol, name: p.name, file: p.file, bytes: p.size - out.offset, seconds: (Date.now() - started) / 1000, sha256: out.sha256, peer });
      return;
    } catch (e) {
      if (signal.aborted) throw verdictOrAbort(e, signal);
      lastErr = toXferError(e);
      if (!NEXT_PROTOCOL.has(lastErr.code) || n === usable[usable.length - 1]) throw lastErr;
      emit({ event: 'method-failed', sid: '', method: n.protocol, code: lastErr.code, reason: `${lastErr.message}; trying ${usable[usable.indexOf(n) + 1]!.protocol === 'si' ? 'SI' : 'Jingle'} next` });
    }
  }
  throw lastErr ?? errors.noMethod('no method left to try');
}
