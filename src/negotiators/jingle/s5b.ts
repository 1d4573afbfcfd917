// XEP-0260 inside a Jingle session: both sides offer candidates (our streamhost and proxies),
// both race the other's, report candidate-used / candidate-error, and the nomination rule (§2.4)
// picks one connection; a proxy is activated by the side that offered it, which then sends
// `activated`. What comes out is one socket, the same for the side that sends and the one that
// reads. The socket work itself is src/socks5/.
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { debug } from '../../log.js';
import { errors } from '../../errors.js';
import { bindAddress, directCandidates } from '../../net/addresses.js';
import { proxyStreamhosts } from '../../negotiation/proxies.js';
import { buildActivate } from '../../protocol/bytestreams.js';
import type { Jingle } from '../../protocol/jingle.js';
import { buildS5b, parseS5b, priorityOf, s5bHash, type S5bCandidate } from '../../protocol/jingle-transports.js';
import { raceCandidates, readingSocket, withTimeout } from '../../socks5/bytestream.js';
import { connectStreamhost, type ReadingSocket } from '../../socks5/client.js';
import { StreamhostServer } from '../../socks5/server.js';
import type { TransportOptions } from '../../transports/types.js';
import type { Session } from '../../xmpp/session.js';
import type { JingleSession } from './session.js';

const log = debug('xfer:jingle-s5b');
const REPORT_TIMEOUT_MS = 30000;

export type S5bOptions = Pick<TransportOptions, 'direct' | 'directHosts' | 'directPort' | 'proxies' | 'proxyDiscovery'> & { staggerMs: number; candidateTimeoutMs: number; acceptHost?: (host: string) => boolean };

export class JingleS5b {
  readonly tsid: string;
  private server?: StreamhostServer;
  private ours: S5bCandidate[] = [];

  constructor(private xmpp: Session, private js: JingleSession, private opts: S5bOptions, tsid?: string) {
    this.tsid = tsid ?? randomBytes(8).toString('hex');
  }

  /** Listen, discover proxies, and return our <transport/> with every candidate. */
  async offer() {
    const me = this.xmpp.jid;
    // When both sides reach each other's direct candidates, the higher priority wins (§2.4). The
    // responder (the receiver) ranks its own a little lower, so that it connects out: its
    // outgoing sockets read into one reused buffer (socks5/client.ts), accepted ones cannot.
    const localPref = this.js.role === 'initiator' ? 65535 : 32767;
    if (this.opts.direct) {
      this.server = new StreamhostServer({ host: bindAddress(this.xmpp), port: this.opts.directPort });
      const bound = await this.server.listen();
      directCandidates(this.xmpp, this.opts.directHosts, bound.port).forEach((c, i) =>
        this.ours.push({ cid: randomBytes(4).toString('hex'), jid: me, host: c.host, port: c.port, priority: priorityOf('direct', localPref - i), type: 'direct' }),
      );
    }
    const proxies = this.opts.proxies.length || this.opts.proxyDiscovery ? await proxyStreamhosts(this.xmpp, this.opts.proxies, this.opts.proxyDiscovery) : [];
    proxies.forEach((p, i) => this.ours.push({ cid: randomBytes(4).toString('hex'), jid: p.jid, host: p.host, port: p.port, priority: priorityOf('proxy', localPref - i), type: 'proxy' }));
    const dstaddr = proxies.length ? s5bHash(this.tsid, me, this.js.peer) : undefined;
    return buildS5b({ kind: 'candidates', sid: this.tsid, mode: 'tcp', dstaddr, candidates: this.ours });
  }

  /** Run the whole XEP-0260 negotiation against the peer's candidates; one socket comes out. */
  async connect(theirs: S5bCandidate[], signal: AbortSignal): Promise<ReadingSocket> {
    const me = this.xmpp.jid;
    const peer = this.js.peer;
    const isOurs = (t: Jingle) => t.action === 'transport-info' && parseS5b(t.content?.transport)?.sid === this.tsid;
    const report = (kind: string) => (t: Jingle) => isOurs(t) && parseS5b(t.content?.transport)?.kind === kind;
    const hashForTheirs = s5bHash(this.tsid, peer, me);
    const hashForOurs = s5bHash(this.tsid, me, peer);
    const accepted = this.server?.expect(hashForOurs, signal);
    accepted?.catch(() => {});
    // A connection to our streamhost that is not the nominated one is closed, whenever it comes.
    const dropAccepted = () => void accepted?.then((s) => s.destroy(), () => {});

    const sorted = [...theirs].sort((a, b) => b.priority - a.priority);
    let mine: { cand: S5bCandidate; stream: ReadingSocket } | undefined;
    try {
      const won = await raceCandidates(sorted.map((c) => ({ ...c, proxy: c.type === 'proxy' })), hashForTheirs, { staggerMs: this.opts.staggerMs, candidateTimeoutMs: this.opts.candidateTimeoutMs, accept: this.opts.acceptHost }, signal);
      mine = { cand: sorted.find((c) => c.cid === won.candidate.cid)!, stream: won.stream };
      log('%s: connected to their candidate %s (%s:%d)', this.tsid, mine.cand.cid, mine.cand.host, mine.cand.port);
      await this.js.send('transport-info', { transport: buildS5b({ kind: 'candidate-used', sid: this.tsid, cid: mine.cand.cid }) });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      log('%s: none of their candidates: %s', this.tsid, (err as Error).message);
      await this.js.send('transport-info', { transport: buildS5b({ kind: 'candidate-error', sid: this.tsid }) }).catch(() => {});
    }
    // The peer's own verdict on our candidates (it may have come long before ours).
    let theirReport: Jingle;
    try {
      theirReport = await this.js.next((t) => report('candidate-used')(t) || report('candidate-error')(t), REPORT_TIMEOUT_MS, signal, 'SOCKS5 candidate report');
    } catch (err) {
      mine?.stream.socket.destroy();
      dropAccepted();
      throw err;
    }
    const r = parseS5b(theirReport.content!.transport)!;
    const usedOurs = r.kind === 'candidate-used' ? this.ours.find((c) => c.cid === r.cid) : undefined;
    if (r.kind === 'candidate-used' && !usedOurs) {
      mine?.stream.socket.destroy();
      dropAccepted();
      throw errors.protocol(`Jingle SOCKS5: ${peer} used candidate ${r.cid}, which was never offered`);
    }

    // §2.4 nomination: one side's used beats an error; both used: higher priority; a tie goes to
    // the candidate the initiator chose.
    let nominated: 'mine' | 'theirs';
    if (mine && usedOurs) {
      if (mine.cand.priority !== usedOurs.priority) nominated = mine.cand.priority > usedOurs.priority ? 'mine' : 'theirs';
      else nominated = this.js.role === 'initiator' ? 'mine' : 'theirs';
    } else if (mine) nominated = 'mine';
    else if (usedOurs) nominated = 'theirs';
    else {
      dropAccepted();
      throw errors.transfer('Jingle SOCKS5: neither side could connect to a candidate of the other');
    }

    if (nominated === 'mine') {
      dropAccepted();
      this.server?.close();
      // A proxy of theirs: they activate it, and say so.
      if (mine!.cand.type === 'proxy') {
        await this.js.next(report('activated'), REPORT_TIMEOUT_MS, signal, 'SOCKS5 proxy activation').catch((err) => {
          mine!.stream.socket.destroy();
          throw err;
        });
      }
      return mine!.stream;
    }
    mine?.stream.socket.destroy();
    const cand = usedOurs!;
    if (cand.type === 'proxy') dropAccepted();
    if (cand.type !== 'proxy') {
      const socket = await withTimeout(accepted!, 10000, 'Jingle SOCKS5: the peer named our streamhost but never connected to it');
      this.server?.close();
      return readingSocket(socket);
    }
    this.server?.close();
    // Our proxy: connect with our hash, activate for the peer, tell it.
    let socket: net.Socket;
    try {
      socket = await connectStreamhost(cand.host, cand.port, hashForOurs, 10000, signal);
      await this.xmpp.iq(cand.jid, 'set', buildActivate(this.tsid, peer), 10000);
    } catch (err) {
      await this.js.send('transport-info', { transport: buildS5b({ kind: 'proxy-error', sid: this.tsid }) }).catch(() => {});
      throw errors.transfer(`Jingle SOCKS5: proxy ${cand.jid} failed: ${(err as Error).message}`);
    }
    await this.js.send('transport-info', { transport: buildS5b({ kind: 'activated', sid: this.tsid, cid: cand.cid }) });
    return readingSocket(socket);
  }

  close(): void {
    this.server?.close();
  }
}
