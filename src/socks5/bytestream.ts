// The SOCKS5 socket layer of a bytestream, apart from whoever negotiated it (XEP-0065 iqs for SI,
// XEP-0260 transport-info for Jingle): race candidates, push a file range into the chosen
// socket, read one into a sink. No stanzas here.
import net from 'node:net';
import { errors, XferError } from '../errors.js';
import { sendRange } from '../streams/pump.js';
import { RateLimiter } from '../streams/rate.js';
import { withTimeout as timeout } from '../streams/abortable.js';
import type { Incoming, SendContext } from '../transports/types.js';
import { connectStreamhostForReading, type ReadingSocket } from './client.js';
import { unusableHost } from '../net/addresses.js';

export interface Candidate {
  host: string;
  port: number;
  /** proxies start `staggerMs` after direct candidates (or at once when those all failed) */
  proxy: boolean;
}

export interface RaceOptions {
  staggerMs: number;
  candidateTimeoutMs: number;
  /** may we connect to this host (net/addresses.ts hostPolicy)? default: all but unusable ones */
  accept?: (host: string) => boolean;
}

/** First SOCKS5 handshake to complete wins; the rest are closed. */
export function raceCandidates<C extends Candidate>(offered: C[], hash: string, opts: RaceOptions, signal: AbortSignal): Promise<{ candidate: C; stream: ReadingSocket }> {
  const cands = offered.filter((c) => (opts.accept ?? ((h) => !unusableHost(h)))(c.host));
  const direct = cands.filter((c) => !c.proxy);
  const proxies = cands.filter((c) => c.proxy);
  return new Promise((resolve, reject) => {
    let pending = cands.length;
    let won = false;
    const errorsSeen: string[] = [];
    const timers: NodeJS.Timeout[] = [];
    const attempt = (c: C) => {
      connectStreamhostForReading(c.host, c.port, hash, opts.candidateTimeoutMs, signal).then(
        (stream) => {
          if (won) return stream.socket.destroy();
          won = true;
          timers.forEach(clearTimeout);
          resolve({ candidate: c, stream });
        },
        (err) => {
          errorsSeen.push(`${c.host}:${c.port} ${(err as Error).message}`);
          if (--pending === 0 && !won) reject(errors.transfer(`SOCKS5: no streamhost reachable (${errorsSeen.join('; ')})`));
          // All direct candidates failed before the stagger elapsed: start the proxies now.
          if (!won && errorsSeen.length === direct.length) startProxies();
        },
      );
    };
    let proxiesStarted = false;
    const startProxies = () => {
      if (proxiesStarted) return;
      proxiesStarted = true;
      proxies.forEach(attempt);
    };
    if (cands.length === 0) return reject(errors.transfer(offered.length ? 'SOCKS5: no usable streamhost offered (unspecified, multicast or broadcast addresses, or refused by --strict-hosts)' : 'SOCKS5: no streamhosts offered'));
    direct.forEach(attempt);
    if (direct.length === 0) startProxies();
    else timers.push(setTimeout(startProxies, opts.staggerMs));
  });
}

/** A socket our own streamhost accepted, read the same way as one we connected. */
export function readingSocket(socket: net.Socket): ReadingSocket {
  socket.pause();
  return {
    socket,
    read(reader) {
      socket.on('data', (d: Buffer) => {
        try {
          if (reader(d) === false) socket.pause();
        } catch (err) {
          socket.destroy(err as Error);
        }
      });
      socket.resume();
    },
  };
}

/**
 * Push [offset, size) into the socket. With `awaitVerdict` (SI: the bytestream is the only
 * acknowledgement it has) wait for the target's FIN (verified) or RST (not); Jingle has its
 * session-terminate for that and only needs the bytes handed to the kernel.
 */
export async function streamFile(socket: net.Socket, ctx: SendContext, awaitVerdict: boolean): Promise<void> {
  let sent = ctx.offset;
  let socketError: Error | undefined;
  socket.on('error', (err) => (socketError ??= err));
  const closed = new Promise<void>((resolve, reject) =>
    socket.once('close', (hadError) => (hadError ? reject(errors.peerFailed(`SOCKS5: the receiver rejected the file (${socketError?.message ?? 'connection reset'})`)) : resolve())),
  );
  closed.catch(() => {});
  try {
    if (ctx.size > ctx.offset) {
      const limiter = ctx.options.limitRate ? new RateLimiter(ctx.options.limitRate) : undefined;
      await sendRange(ctx.path, ctx.offset, ctx.size, socket, (upTo) => ctx.onProgress((sent = upTo)), ctx.signal, limiter, ctx.tap);
    }
    socket.end();
    if (awaitVerdict) await withTimeout(closed, ctx.options.stallTimeoutMs, 'SOCKS5: peer did not confirm the end of the stream');
  } catch (err) {
    socket.destroy();
    if (err instanceof XferError) throw err;
    throw errors.transfer(`SOCKS5 stream broke after ${sent} bytes: ${(err as Error).message}`, err);
  }
}

/**
 * Read the bytestream into the transfer's sink until `size` bytes arrived, then hand over
 * (inc.complete). With `verdictOnSocket` (SI) the socket closes with FIN once the file is
 * verified and placed, RST when it was not: the sender learns the outcome.
 */
export async function readInto(stream: ReadingSocket, inc: Incoming, verdictOnSocket: boolean): Promise<void> {
  const { socket } = stream;
  // RST on every failure (a failed write, an abort, a bad verdict), FIN only after a verified
  // file: on a direct connection that is the sender's only way to learn the outcome.
  let verified = false;
  const reset = () => {
    try {
      socket.resetAndDestroy();
    } catch {
      socket.destroy();
    }
  };
  inc.signal.addEventListener('abort', reset, { once: true });
  // The sender half-closes after the last byte; without this Node would answer that FIN at once,
  // before the verdict. (A proxy in between may still close both sides on its own.)
  socket.allowHalfOpen = true;
  try {
    const finish = async () => {
      inc.complete();
      verified = verdictOnSocket ? !(await inc.settled) : true;
    };
    if (inc.sink.complete) return await finish();
    let failed: unknown;
    await new Promise<void>((resolve, reject) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
      socket.once('error', reject);
      stream.read((view) => {
        try {
          inc.sink.writeNow(view);
        } catch (err) {
          failed = err; // a full disk, a file-size limit: stop reading, fail, reset
          resolve();
          return false;
        }
        inc.onProgress(inc.sink.bytes);
        if (!inc.sink.complete) return true;
        resolve();
        return false; // anything beyond `size` is not read: the verdict is on the hash
      });
    });
    if (failed) return inc.fail(failed as Error);
    if (inc.sink.complete) return await finish();
    inc.fail(errors.truncated(`stream closed after ${inc.sink.bytes} of ${inc.sink.size} bytes`));
  } catch (err) {
    inc.fail(err as Error);
  } finally {
    inc.signal.removeEventListener('abort', reset);
    if (verified) socket.destroy();
    else reset();
  }
}

export const withTimeout = <T>(p: Promise<T>, ms: number, msg: string): Promise<T> => timeout(p, ms, () => errors.transfer(msg));
