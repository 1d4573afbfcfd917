// XEP-0047 In-Band Bytestreams, one endpoint per session for every sid in both directions.
//
// SI and Jingle (XEP-0261) both move IBB bytes with the same open/data/close iqs, and one process
// may send and receive at once, so exactly one handler per iq routes by sid: a `close` from the
// peer of an outgoing sid cancels that sender, one for an incoming sid ends that receiver.
//
// Sender: a sliding window of `ibbWindow` data iqs in flight instead of one round trip per block
// (the anchors' stop-and-wait). Receiver: strict — a block is accepted only from the JID that
// negotiated the sid, in sequence, valid base64, within the negotiated block size; anything else
// gets the spec's error and ends the transfer.
import { open } from 'node:fs/promises';
import { debug } from '../log.js';
import { errors, XferError } from '../errors.js';
import { buildClose, buildData, buildOpen, decodeStrictInto, nextSeq, parseData, parseOpen } from '../protocol/ibb.js';
import { NS } from '../protocol/ns.js';
import { StanzaError } from '../protocol/stanza-error.js';
import { replyError, type Session } from '../xmpp/session.js';
import { RateLimiter } from '../streams/rate.js';
import type { Incoming, IncomingRegistry, ReceiverTransport, SendContext, SenderTransport } from './types.js';

const log = debug('xfer:ibb');
const MIN_BLOCK = 512;

interface IbbState {
  inc: Incoming;
  blockSize: number;
  expectSeq: number;
  closed: boolean;
  /** each block is decoded into this and written before the next is taken (decodeStrictInto) */
  buf: Buffer;
}

export interface IbbEndpoint {
  /** Open `sid` to `peer` (halving the block size while the peer asks), stream the range, close. */
  send(ctx: SendContext, blockSize: number): Promise<void>;
  /** Accept opens for sids this lookup knows (SI's and Jingle's registry); returns the uninstaller. */
  accept(lookup: (sid: string, from: string) => Incoming | undefined, maxBlockSize: number): () => void;
}

const endpoints = new WeakMap<Session, IbbEndpoint>();

export function ibbEndpoint(session: Session): IbbEndpoint {
  let ep = endpoints.get(session);
  if (!ep) endpoints.set(session, (ep = createEndpoint(session)));
  return ep;
}

function createEndpoint(session: Session): IbbEndpoint {
  const outgoing = new Map<string, { peer: string; cancel: (err: Error) => void }>();
  const streams = new Map<string, IbbState>();
  let lookup: ((sid: string, from: string) => Incoming | undefined) | undefined;
  let maxBlock = 0;
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

  const end = (st: IbbState, err?: Error) => {
    if (st.closed) return;
    st.closed = true;
    streams.delete(st.inc.sid);
    if (err) {
      st.inc.fail(err);
      // Spec: the recipient of a bad packet closes the bytestream.
      void session.iq(st.inc.from, 'set', buildClose(st.inc.sid), 5000).catch(() => {});
    }
  };

  session.handleIq('set', NS.ibb, 'open', ({ from, child }) => {
    const o = parseOpen(child);
    if (!o) throw replyError('modify', 'bad-request', 'bad open');
    const inc = lookup?.(o.sid, from);
    if (!inc || streams.has(o.sid)) throw replyError('cancel', 'not-acceptable');
    if (o.stanza !== 'iq') throw replyError('cancel', 'feature-not-implemented', 'xfer takes IBB data in iq stanzas only');
    if (o.blockSize > maxBlock) throw replyError('modify', 'resource-constraint');
    const st: IbbState = { inc, blockSize: o.blockSize, expectSeq: 0, closed: false, buf: Buffer.allocUnsafe(o.blockSize) };
    streams.set(o.sid, st);
    const onAbort = () => {
      if (st.closed) return;
      end(st);
      // Cancelled here (stall, Ctrl-C, shutdown): tell the sender to stop.
      void session.iq(from, 'set', buildClose(o.sid), 5000).catch(() => {});
    };
    inc.signal.addEventListener('abort', onAbort, { once: true });
    return undefined;
  });

  session.handleIq('set', NS.ibb, 'data', async ({ from, child }) => {
    const d = parseData(child);
    const st = d && streams.get(d.sid);
    if (!d || !st || !same(st.inc.from, from)) throw replyError('cancel', 'item-not-found');
    if (d.seq !== st.expectSeq) {
      end(st, errors.protocol(`IBB block out of sequence (got ${d.seq}, expected ${st.expectSeq})`));
      throw replyError('cancel', 'unexpected-request');
    }
    st.expectSeq = nextSeq(st.expectSeq);
    const buf = decodeStrictInto(d.payload, st.buf);
    if (buf === 'invalid') {
      end(st, errors.protocol('IBB block is not valid base64'));
      throw replyError('cancel', 'bad-request');
    }
    if (buf === 'too-big') {
      end(st, errors.protocol(`IBB block of ${d.payload.length} base64 characters exceeds the negotiated ${st.blockSize} bytes`));
      throw replyError('modify', 'bad-request');
    }
    try {
      // Synchronous: the view is reused for the next block. One page-cache write of at most a
      // block (64 KiB) per iq, at IBB's rates (~20 MiB/s) a negligible stall of the event loop.
      st.inc.sink.writeNow(buf);
    } catch (err) {
      end(st, err as Error);
      throw replyError('cancel', 'not-acceptable', (err as Error).message);
    }
    st.inc.onProgress(st.inc.sink.bytes);
    return undefined;
  });

  session.handleIq('set', NS.ibb, 'close', async ({ from, child }) => {
    const sid = child.attrs.sid ?? '';
    const out = outgoing.get(sid);
    if (out && same(out.peer, from)) {
      // The receiver cancels by closing the bytestream (XEP-0047 §2.3): stop sending at once.
      out.cancel(errors.peerFailed('the receiver closed the stream: it cancelled, or could not take the file'));
      return undefined;
    }
    const st = streams.get(sid);
    if (!st || !same(st.inc.from, from)) throw replyError('cancel', 'item-not-found');
    if (st.inc.sink.complete) {
      st.closed = true;
      streams.delete(sid);
      st.inc.complete();
      // Answer the close only once the file is verified and placed: the sender's exit code then
      // says whether the file really arrived.
      const failed = st.inc.verdictOnStream === false ? undefined : await st.inc.settled;
      if (failed) throw replyError('cancel', 'not-acceptable', failed.message);
    } else {
      end(st, errors.truncated(`sender closed the stream after ${st.inc.sink.bytes} of ${st.inc.sink.size} bytes`));
    }
    return undefined;
  });

  return {
    accept(fn, maxBlockSize) {
      lookup = fn;
      maxBlock = maxBlockSize;
      return () => {
        if (lookup === fn) lookup = undefined;
      };
    },
    async send(ctx, blockSize) {
      const { peer, sid, signal } = ctx;
      const ackTimeout = ctx.options.stallTimeoutMs;
      let block = blockSize;
      let constrained = false;
      for (;;) {
        try {
          await session.iq(peer, 'set', buildOpen(sid, block), ackTimeout);
          break;
        } catch (err) {
          // XEP-0047 §2.1: resource-constraint = "prefers a smaller block-size"; halve and retry.
          if (err instanceof StanzaError && err.condition === 'resource-constraint' && block > MIN_BLOCK) {
            block = Math.max(MIN_BLOCK, block >> 1);
            constrained = true;
            log('peer wants smaller blocks; retrying with %d', block);
            continue;
          }
          // Some peers (slixmpp 1.8) forget the sid after refusing the first open, so the smaller
          // retry on it is refused too. Say which size to offer again with a fresh negotiation.
          const x = asTransferError('IBB open', err);
          if (constrained) Object.assign(x, { retryBlockSize: block });
          throw x;
        }
      }
      const fh = await open(ctx.path, 'r');
      let failure: unknown;
      // Every wait below also ends the moment something fails (a data error, the receiver's
      // close, an abort): acks still owed by a receiver that went away must not be waited out.
      let stop!: (err: unknown) => void;
      const stopped = new Promise<never>((_, rej) => (stop = rej));
      stopped.catch(() => {});
      const fail = (err: unknown) => {
        failure ??= err;
        stop(failure);
      };
      const onAbort = () => fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      outgoing.set(sid, { peer, cancel: fail });
      const inflight = new Set<Promise<void>>();
      let pos = ctx.offset;
      let acked = ctx.offset;
      let seq = 0;
      const limiter = ctx.options.limitRate ? new RateLimiter(ctx.options.limitRate) : undefined;
      // One buffer for every block: it is base64-encoded (and tapped) before the next read, and
      // a fresh one per block was external memory V8 reclaims only after tens of MiB.
      const chunk = Buffer.allocUnsafe(Math.min(block, ctx.size - ctx.offset));
      try {
        while (pos < ctx.size && !failure) {
          if (signal.aborted) throw signal.reason;
          while (inflight.size >= ctx.options.ibbWindow && !failure) await Promise.race([...inflight, stopped]);
          if (failure) break;
          const want = Math.min(block, ctx.size - pos);
          await limiter?.take(want, signal);
          const buf = chunk.subarray(0, want);
          const { bytesRead } = await fh.read(buf, 0, want, pos);
          if (bytesRead !== want) throw errors.file(`${ctx.path} changed while sending (short read at ${pos})`);
          ctx.tap?.(buf);
          pos += want;
          const p: Promise<void> = session.iq(peer, 'set', buildData(sid, seq, buf), ackTimeout).then(
            () => {
              acked += want;
              ctx.onProgress(acked);
            },
            (err) => fail(err),
          );
          const tracked = p.finally(() => inflight.delete(tracked));
          inflight.add(tracked);
          seq = nextSeq(seq);
        }
        await Promise.race([Promise.all(inflight), stopped]);
        if (failure) throw failure;
        await Promise.race([
          session.iq(peer, 'set', buildClose(sid), ackTimeout).catch((err) => {
            throw asTransferError('IBB close', err);
          }),
          stopped,
        ]);
      } catch (err) {
        // Spec: after an error on a data packet the sender MUST close the bytestream.
        void session.iq(peer, 'set', buildClose(sid), 5000).catch(() => {});
        throw asTransferError('IBB', err);
      } finally {
        signal.removeEventListener('abort', onAbort);
        outgoing.delete(sid);
        await fh.close();
      }
    },
  };
}

function asTransferError(what: string, err: unknown): Error {
  if (err instanceof XferError) return err;
  if (err instanceof StanzaError) {
    // After the open, a refusal is the receiver's verdict on the bytes (could not write them,
    // or they did not verify), not a transport problem.
    if (what !== 'IBB open' && err.condition === 'not-acceptable') return errors.peerFailed(`the receiver refused the file: ${err.message}`);
    if (err.condition === 'forbidden' || err.condition === 'not-acceptable') return errors.transfer(`${what} refused by peer: ${err.message}`);
    return errors.transfer(`${what} failed: ${err.message}`);
  }
  return errors.transfer(`${what} failed: ${(err as Error)?.message ?? err}`, err);
}

/** SI's view of the endpoint: the negotiated sid is the IBB sid. */
export const ibbSender: SenderTransport = {
  name: 'ibb',
  send: (ctx) => ibbEndpoint(ctx.session).send(ctx, ctx.options.ibbBlockSize),
};

export const ibbReceiver: ReceiverTransport = {
  name: 'ibb',
  install: (session, registry: IncomingRegistry, options) =>
    ibbEndpoint(session).accept((sid, from) => registry.lookup(sid, from, 'ibb'), options.ibbMaxBlockSize),
};
