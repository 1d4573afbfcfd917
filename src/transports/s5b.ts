// XEP-0065 SOCKS5 Bytestreams as an xfer transport.
//
// Sender (requester): start a streamhost for this sid only, offer it (direct candidates) and the
// proxies, and when the target names the one it used, stream the file over it (activating the
// proxy first if it was one). Target: race all candidates — direct ones at once, proxies after a
// short stagger — take the first handshake that completes, close the rest, answer streamhost-used.
import net from 'node:net';
import { debuglog } from 'node:util';
import { errors, XferError } from '../errors.js';
import { NS } from '../protocol/ns.js';
import { buildActivate, buildStreamhosts, buildUsed, dstAddr, parseStreamhosts, parseUsed, type StreamHost } from '../protocol/bytestreams.js';
import { StanzaError } from '../protocol/stanza-error.js';
import { proxyStreamhosts } from '../negotiation/proxies.js';
import { connectStreamhost, connectStreamhostForReading, type ReadingSocket } from '../socks5/client.js';
import { StreamhostServer } from '../socks5/server.js';
import { parseHostPort, replyError, type Session } from '../xmpp/session.js';
import { RateLimiter } from './rate.js';
import { sendRange } from './pump.js';
import type { IncomingRegistry, ReceiverOptions, ReceiverTransport, SendContext, SenderTransport } from './types.js';

const log = debuglog('xfer:s5b');
const isLoopback = (a: string) => a === '::1' || a.startsWith('127.') || a === '::ffff:127.0.0.1' || a === 'localhost';

/**
 * Direct candidates. 'auto' is the address of the interface we reach the XMPP server on: a peer
 * of the same server can plausibly reach it. Loopback is offered only when the server connection
 * itself is on loopback (then the peer is on this machine too); otherwise it is never advertised.
 */
export function directCandidates(session: Session, hosts: string[], port: number): Array<{ host: string; port: number }> {
  const out: Array<{ host: string; port: number }> = [];
  for (const h of hosts.length ? hosts : ['auto']) {
    if (h === 'auto') {
      const local = session.localAddress.replace(/^::ffff:/, '');
      if (isLoopback(local) && !isLoopback(session.remoteAddress.replace(/^::ffff:/, ''))) continue;
      out.push({ host: local, port });
    } else {
      const hp = parseHostPort(h, port);
      out.push(hp);
    }
  }
  return out;
}

export const s5bSender: SenderTransport = {
  name: 's5b',
  ns: NS.bytestreams,
  async send(ctx: SendContext): Promise<void> {
    const { session, peer, sid, signal, options } = ctx;
    const hash = dstAddr(sid, session.jid, peer);
    let server: StreamhostServer | undefined;
    const hosts: StreamHost[] = [];
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (options.direct) {
        const bindHost = session.localAddress.replace(/^::ffff:/, '');
        server = new StreamhostServer({ host: bindHost, port: options.directPort });
        const bound = await server.listen();
        for (const c of directCandidates(session, options.directHosts, bound.port)) hosts.push({ jid: session.jid, host: c.host, port: c.port });
      }
      const proxies = options.proxies.length || options.proxyDiscovery ? await proxyStreamhosts(session, options.proxies, options.proxyDiscovery) : [];
      hosts.push(...proxies);
      if (hosts.length === 0) throw errors.transfer('SOCKS5: no streamhost to offer (no direct address, no proxy)');
      const direct = server?.expect(hash, ac.signal);
      direct?.catch(() => {});
      let used: string | undefined;
      try {
        const res = await abortable(session.iq(peer, 'set', buildStreamhosts(sid, hosts), 60000), ac.signal);
        used = parseUsed(res.getChild('query', NS.bytestreams));
      } catch (err) {
        if (err instanceof StanzaError) throw errors.transfer(`SOCKS5: peer could not connect to any streamhost (${err.condition})`);
        throw err;
      }
      const chosen = hosts.find((h) => h.jid === used);
      if (!used || !chosen) throw errors.protocol(`SOCKS5: streamhost-used names ${used ?? 'nothing'}, which was never offered`);
      let socket: net.Socket;
      if (used === session.jid) {
        socket = await withTimeout(direct!, 10000, 'SOCKS5: the peer named our streamhost but never connected to it');
      } else {
        socket = await connectStreamhost(chosen.host, chosen.port, hash, 10000, ac.signal);
        try {
          await session.iq(chosen.jid, 'set', buildActivate(sid, peer), 10000);
        } catch (err) {
          socket.destroy();
          throw errors.transfer(`SOCKS5: proxy ${chosen.jid} refused activation: ${(err as Error).message}`);
        }
      }
      log('streaming over %s', used);
      server?.close();
      await streamFile(socket, ctx);
    } finally {
      signal.removeEventListener('abort', onAbort);
      ac.abort();
      server?.close();
    }
  },
};

async function streamFile(socket: net.Socket, ctx: SendContext): Promise<void> {
  let sent = ctx.offset;
  // The target ends the stream cleanly once it verified the file and resets it when it did not
  // (see readInto): the only acknowledgement a bytestream has.
  let socketError: Error | undefined;
  socket.on('error', (err) => (socketError ??= err));
  const closed = new Promise<void>((resolve, reject) =>
    socket.once('close', (hadError) => (hadError ? reject(errors.transfer(`SOCKS5: the receiver rejected the file (${socketError?.message ?? 'connection reset'})`)) : resolve())),
  );
  try {
    if (ctx.size > ctx.offset) {
      const limiter = ctx.options.limitRate ? new RateLimiter(ctx.options.limitRate) : undefined;
      await sendRange(ctx.path, ctx.offset, ctx.size, socket, (upTo) => ctx.onProgress((sent = upTo)), ctx.signal, limiter);
    }
    // The target closes once it has all `size` bytes; waiting for that tells us they arrived.
    socket.end();
    await withTimeout(closed, ctx.options.stallTimeoutMs, 'SOCKS5: peer did not confirm the end of the stream');
  } catch (err) {
    socket.destroy();
    if (err instanceof XferError) throw err;
    throw errors.transfer(`SOCKS5 stream broke after ${sent} bytes: ${(err as Error).message}`, err);
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let off = () => {};
  const aborted = new Promise<never>((_, rej) => {
    const f = () => rej(signal.reason);
    signal.addEventListener('abort', f, { once: true });
    off = () => signal.removeEventListener('abort', f);
  });
  return Promise.race([p, aborted]).finally(off);
}

function withTimeout<T>(p: Promise<T>, ms: number, msg: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(errors.transfer(msg)), ms)))]).finally(() => clearTimeout(t));
}

/** Target side: first SOCKS5 handshake to complete wins; the rest are closed. */
export async function raceCandidates(hosts: StreamHost[], initiator: string, hash: string, opts: ReceiverOptions, signal: AbortSignal): Promise<{ host: StreamHost; stream: ReadingSocket }> {
  const direct = hosts.filter((h) => h.jid === initiator);
  const proxies = hosts.filter((h) => h.jid !== initiator);
  return new Promise((resolve, reject) => {
    let pending = hosts.length;
    let won = false;
    const errorsSeen: string[] = [];
    const timers: NodeJS.Timeout[] = [];
    const attempt = (h: StreamHost) => {
      connectStreamhostForReading(h.host, h.port, hash, opts.s5bCandidateTimeoutMs, signal).then(
        (stream) => {
          if (won) return stream.socket.destroy();
          won = true;
          timers.forEach(clearTimeout);
          resolve({ host: h, stream });
        },
        (err) => {
          errorsSeen.push(`${h.host}:${h.port} ${(err as Error).message}`);
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
    if (hosts.length === 0) return reject(errors.transfer('SOCKS5: no streamhosts offered'));
    direct.forEach(attempt);
    if (direct.length === 0) startProxies();
    else timers.push(setTimeout(startProxies, opts.s5bStaggerMs));
  });
}

export const s5bReceiver: ReceiverTransport = {
  name: 's5b',
  ns: NS.bytestreams,
  install(session, registry: IncomingRegistry, options) {
    return session.handleIq('set', NS.bytestreams, 'query', async ({ from, child }) => {
      const q = parseStreamhosts(child);
      const inc = q && registry.lookup(q.sid, from, 's5b');
      if (!q || !inc) throw replyError('cancel', 'item-not-found');
      if (q.mode === 'udp') throw replyError('cancel', 'feature-not-implemented');
      const hash = dstAddr(q.sid, from, session.jid);
      let won;
      try {
        won = await raceCandidates(q.hosts, from, hash, options, inc.signal);
      } catch (err) {
        inc.fail(err as Error);
        throw replyError('cancel', 'item-not-found');
      }
      log('connected via %s (%s:%d)', won.host.jid, won.host.host, won.host.port);
      // Read only after answering: a proxy relays nothing until the requester activates it.
      setImmediate(() => void readInto(won.stream, inc));
      return buildUsed(q.sid, won.host.jid);
    });
  },
};

async function readInto(stream: ReadingSocket, inc: import('./types.js').Incoming): Promise<void> {
  const { socket } = stream;
  const abort = () => socket.destroy();
  inc.signal.addEventListener('abort', abort, { once: true });
  // The sender half-closes after the last byte; without this Node would answer that FIN at once,
  // before the verdict below. (A proxy in between may still close both sides on its own.)
  socket.allowHalfOpen = true;
  try {
    const finish = async () => {
      inc.complete();
      // FIN after the file is verified and placed, RST when it was not: the sender learns the outcome.
      if (await inc.settled) socket.resetAndDestroy();
    };
    if (inc.sink.complete) return await finish();
    await new Promise<void>((resolve, reject) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
      socket.once('error', reject);
      stream.read((view) => {
        inc.sink.writeNow(view);
        inc.onProgress(inc.sink.bytes);
        if (!inc.sink.complete) return true;
        resolve();
        return false; // anything beyond `size` is not read: the verdict is on the hash
      });
    });
    if (inc.sink.complete) return await finish();
    inc.fail(errors.truncated(`stream closed after ${inc.sink.bytes} of ${inc.sink.size} bytes`));
  } catch (err) {
    inc.fail(err as Error);
  } finally {
    inc.signal.removeEventListener('abort', abort);
    socket.destroy();
  }
}
