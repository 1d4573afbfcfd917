// XEP-0047 In-Band Bytestreams as an xfer transport.
//
// Sender: a sliding window of `ibbWindow` data iqs in flight instead of one round trip per block
// (the anchors' stop-and-wait). Receiver: strict — a block is accepted only from the JID that
// negotiated the sid, in sequence, valid base64, within the negotiated block size; anything else
// gets the spec's error and ends the transfer.
import { open } from 'node:fs/promises';
import { debuglog } from 'node:util';
import { errors, XferError } from '../errors.js';
import { buildClose, buildData, buildOpen, decodeStrict, nextSeq, parseData, parseOpen } from '../protocol/ibb.js';
import { NS } from '../protocol/ns.js';
import { StanzaError } from '../protocol/stanza-error.js';
import { replyError } from '../xmpp/session.js';
import { RateLimiter } from './rate.js';
import type { Incoming, IncomingRegistry, ReceiverTransport, SendContext, SenderTransport } from './types.js';

const log = debuglog('xfer:ibb');
const MIN_BLOCK = 512;

export const ibbSender: SenderTransport = {
  name: 'ibb',
  ns: NS.ibb,
  async send(ctx: SendContext): Promise<void> {
    const { session, peer, sid, signal } = ctx;
    const ackTimeout = ctx.options.stallTimeoutMs;
    let block = ctx.options.ibbBlockSize;
    for (;;) {
      try {
        await session.iq(peer, 'set', buildOpen(sid, block), ackTimeout);
        break;
      } catch (err) {
        // XEP-0047 §2.1: resource-constraint = "prefers a smaller block-size"; halve and retry.
        if (err instanceof StanzaError && err.condition === 'resource-constraint' && block > MIN_BLOCK) {
          block = Math.max(MIN_BLOCK, block >> 1);
          log('peer wants smaller blocks; retrying with %d', block);
          continue;
        }
        throw asTransferError('IBB open', err);
      }
    }
    const fh = await open(ctx.path, 'r');
    let failure: unknown;
    // Every wait below also ends the moment something fails (a data error, the receiver's close,
    // an abort): acks still owed by a receiver that went away must not be waited out.
    let stop!: (err: unknown) => void;
    const stopped = new Promise<never>((_, rej) => (stop = rej));
    stopped.catch(() => {});
    const fail = (err: unknown) => {
      failure ??= err;
      stop(failure);
    };
    const onAbort = () => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // The receiver cancels by closing the bytestream (XEP-0047 §2.3): stop sending at once.
    const offClose = session.handleIq('set', NS.ibb, 'close', ({ from, child }) => {
      if (child.attrs.sid !== sid || from.toLowerCase() !== peer.toLowerCase()) throw replyError('cancel', 'item-not-found');
      fail(errors.transfer('the receiver closed the stream (cancelled)'));
      return undefined;
    });
    const inflight = new Set<Promise<void>>();
    let pos = ctx.offset;
    let acked = ctx.offset;
    let seq = 0;
    const limiter = ctx.options.limitRate ? new RateLimiter(ctx.options.limitRate) : undefined;
    try {
      while (pos < ctx.size && !failure) {
        if (signal.aborted) throw signal.reason;
        while (inflight.size >= ctx.options.ibbWindow && !failure) await Promise.race([...inflight, stopped]);
        if (failure) break;
        const want = Math.min(block, ctx.size - pos);
        await limiter?.take(want, signal);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, pos);
        if (bytesRead !== want) throw errors.file(`${ctx.path} changed while sending (short read at ${pos})`);
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
      offClose();
      await fh.close();
    }
  },
};

function asTransferError(what: string, err: unknown): Error {
  if (err instanceof XferError) return err;
  if (err instanceof StanzaError) {
    if (err.condition === 'forbidden' || err.condition === 'not-acceptable') return errors.transfer(`${what} refused by peer: ${err.message}`);
    return errors.transfer(`${what} failed: ${err.message}`);
  }
  return errors.transfer(`${what} failed: ${(err as Error)?.message ?? err}`, err);
}

interface IbbState {
  inc: Incoming;
  blockSize: number;
  expectSeq: number;
  closed: boolean;
  // Blocks are written strictly in order: each write waits for the previous one.
  chain: Promise<void>;
}

export const ibbReceiver: ReceiverTransport = {
  name: 'ibb',
  ns: NS.ibb,
  install(session, registry: IncomingRegistry, options) {
    const streams = new Map<string, IbbState>();
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
    const offOpen = session.handleIq('set', NS.ibb, 'open', ({ from, child }) => {
      const o = parseOpen(child);
      if (!o) throw replyError('modify', 'bad-request', 'bad open');
      const inc = registry.lookup(o.sid, from, 'ibb');
      if (!inc || streams.has(o.sid)) throw replyError('cancel', 'not-acceptable');
      if (o.stanza !== 'iq') throw replyError('cancel', 'feature-not-implemented', 'xfer takes IBB data in iq stanzas only');
      if (o.blockSize > options.ibbMaxBlockSize) throw replyError('modify', 'resource-constraint');
      const st: IbbState = { inc, blockSize: o.blockSize, expectSeq: 0, closed: false, chain: Promise.resolve() };
      streams.set(o.sid, st);
      inc.signal.addEventListener(
        'abort',
        () => {
          if (st.closed) return;
          end(st);
          // Cancelled here (stall, Ctrl-C, shutdown): tell the sender to stop.
          void session.iq(from, 'set', buildClose(o.sid), 5000).catch(() => {});
        },
        { once: true },
      );
      return undefined;
    });
    const offData = session.handleIq('set', NS.ibb, 'data', async ({ from, child }) => {
      const d = parseData(child);
      const st = d && streams.get(d.sid);
      if (!d || !st || st.inc.from.toLowerCase() !== from.toLowerCase()) throw replyError('cancel', 'item-not-found');
      if (d.seq !== st.expectSeq) {
        end(st, errors.protocol(`IBB block out of sequence (got ${d.seq}, expected ${st.expectSeq})`));
        throw replyError('cancel', 'unexpected-request');
      }
      st.expectSeq = nextSeq(st.expectSeq);
      const buf = decodeStrict(d.payload);
      if (!buf) {
        end(st, errors.protocol('IBB block is not valid base64'));
        throw replyError('cancel', 'bad-request');
      }
      if (buf.length > st.blockSize) {
        end(st, errors.protocol(`IBB block of ${buf.length} bytes exceeds the negotiated ${st.blockSize}`));
        throw replyError('modify', 'bad-request');
      }
      const write = st.chain.then(() => st.inc.sink.write(buf));
      st.chain = write.catch(() => {});
      try {
        await write;
      } catch (err) {
        end(st, err as Error);
        throw replyError('cancel', 'not-acceptable', (err as Error).message);
      }
      st.inc.onProgress(st.inc.sink.bytes);
      return undefined;
    });
    const offClose = session.handleIq('set', NS.ibb, 'close', async ({ from, child }) => {
      const sid = child.attrs.sid ?? '';
      const st = streams.get(sid);
      if (!st || st.inc.from.toLowerCase() !== from.toLowerCase()) throw replyError('cancel', 'item-not-found');
      await st.chain;
      if (st.inc.sink.complete) {
        st.closed = true;
        streams.delete(sid);
        st.inc.complete();
        // Answer the close only once the file is verified and placed: the sender's exit code then
        // says whether the file really arrived.
        const failed = await st.inc.settled;
        if (failed) throw replyError('cancel', 'not-acceptable', failed.message);
      } else {
        end(st, errors.truncated(`sender closed the stream after ${st.inc.sink.bytes} of ${st.inc.sink.size} bytes`));
      }
      return undefined;
    });
    return () => {
      offOpen();
      offData();
      offClose();
    };
  },
};
