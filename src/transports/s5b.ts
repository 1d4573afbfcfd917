// XEP-0065 SOCKS5 Bytestreams signalling for SI (the socket work is src/socks5/bytestream.ts).
//
// Sender (requester): start a streamhost for this sid only, offer it (direct candidates) and the
// proxies, and when the target names the one it used, stream the file over it (activating the
// proxy first if it was one). Target: race all candidates, answer streamhost-used.
import type net from 'node:net';
import { debug } from '../log.js';
import { errors } from '../errors.js';
import { NS } from '../protocol/ns.js';
import { buildActivate, buildStreamhosts, buildUsed, dstAddr, parseStreamhosts, parseUsed, type StreamHost } from '../protocol/bytestreams.js';
import { StanzaError } from '../protocol/stanza-error.js';
import { proxyStreamhosts } from '../negotiation/proxies.js';
import { connectStreamhost } from '../socks5/client.js';
import { StreamhostServer } from '../socks5/server.js';
import { raceCandidates, readInto, streamFile, withTimeout } from '../socks5/bytestream.js';
import { bindAddress, directCandidates } from '../net/addresses.js';
import { replyError } from '../xmpp/session.js';
import { abortable } from '../streams/abortable.js';
import type { IncomingRegistry, ReceiverTransport, SendContext, SenderTransport } from './types.js';

const log = debug('xfer:s5b');

export const s5bSender: SenderTransport = {
  name: 's5b',
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
        server = new StreamhostServer({ host: bindAddress(session), port: options.directPort });
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
      // The target ends the stream cleanly once it verified the file and resets it when it did
      // not: the only acknowledgement a bytestream has.
      await streamFile(socket, ctx, true);
    } finally {
      signal.removeEventListener('abort', onAbort);
      ac.abort();
      server?.close();
    }
  },
};

export const s5bReceiver: ReceiverTransport = {
  name: 's5b',
  install(session, registry: IncomingRegistry, options) {
    return session.handleIq('set', NS.bytestreams, 'query', async ({ from, child }) => {
      const q = parseStreamhosts(child);
      const inc = q && registry.lookup(q.sid, from, 's5b');
      if (!q || !inc) throw replyError('cancel', 'item-not-found');
      if (q.mode === 'udp') throw replyError('cancel', 'feature-not-implemented');
      const hash = dstAddr(q.sid, from, session.jid);
      const cands = q.hosts.map((h) => ({ ...h, proxy: h.jid !== from }));
      let won;
      try {
        won = await raceCandidates(cands, hash, { staggerMs: options.s5bStaggerMs, candidateTimeoutMs: options.s5bCandidateTimeoutMs, accept: options.acceptHost }, inc.signal);
      } catch (err) {
        inc.fail(err as Error);
        throw replyError('cancel', 'item-not-found');
      }
      log('connected via %s (%s:%d)', won.candidate.jid, won.candidate.host, won.candidate.port);
      // Read only after answering: a proxy relays nothing until the requester activates it.
      setImmediate(() => void readInto(won.stream, inc, true));
      return buildUsed(q.sid, won.candidate.jid);
    });
  },
};
