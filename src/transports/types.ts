// The one interface every transport implements, on each side.
//
// Sender side: after SI picked a method, `send` moves bytes [offset, size) of the file to the
// peer and resolves when the peer has them (or rejects with an XferError saying why).
// Receiver side: `install` registers whatever iq handlers the method needs; the handlers look
// the sid up in the Incoming registry, which holds what SI negotiated (who, which method, where
// the bytes go) and reports completion or failure back to the receive command.
import type { FileSink } from '../files/sink.js';
import type { Session } from '../xmpp/session.js';

export type MethodName = 'ibb' | 's5b' | 'oob';

export interface TransportOptions {
  ibbBlockSize: number;
  ibbWindow: number;
  stallTimeoutMs: number;
  /** SOCKS5: offer our own streamhost */
  direct: boolean;
  /** SOCKS5: addresses to advertise for it ('auto' = the interface we reach the server on) */
  directHosts: string[];
  directPort: number;
  /** OOB: addresses to advertise for the temporary HTTP server, and its port */
  httpHosts: string[];
  httpPort: number;
  /** SOCKS5: proxies to offer first; discover more on our server unless proxyDiscovery is off */
  proxies: string[];
  proxyDiscovery: boolean;
  /** --limit-rate: average bytes per second, any method (undefined = as fast as possible) */
  limitRate?: number;
}

export interface SendContext {
  session: Session;
  peer: string; // full JID of the target
  sid: string;
  path: string;
  size: number;
  offset: number;
  onProgress(bytesSent: number): void;
  /** sees every chunk sent, in file order (Jingle hashes while sending) */
  tap?: (chunk: Buffer) => void;
  signal: AbortSignal;
  options: TransportOptions;
}

export interface SenderTransport {
  readonly name: MethodName;
  send(ctx: SendContext): Promise<void>;
}

export interface Incoming {
  sid: string;
  from: string; // full JID of the initiator, as SI saw it
  method: MethodName;
  sink: FileSink;
  onProgress(bytes: number): void;
  /** the transport saw the end of the stream; the lifecycle verifies (against `late` when given) and renames */
  complete(late?: { sha256?: string }): void;
  fail(err: Error): void;
  /** the negotiation moved the transfer to another transport (Jingle transport-replace) */
  setMethod?(m: MethodName): void;
  readonly signal: AbortSignal;
  /** false: the negotiation carries the verdict (Jingle's session-terminate), so the transport
   *  ends its stream without waiting for it (SI's only acknowledgement is the stream's end) */
  readonly verdictOnStream?: boolean;
  /** resolves once the command verified and placed the file (undefined) or gave up (the error) */
  readonly settled: Promise<Error | undefined>;
}

export class IncomingRegistry {
  private map = new Map<string, Incoming>();
  add(inc: Incoming): void {
    this.map.set(inc.sid, inc);
  }
  remove(sid: string): void {
    this.map.delete(sid);
  }
  has(sid: string): boolean {
    return this.map.has(sid);
  }
  /** The incoming transfer for this sid, only if `from` is the JID that negotiated it. */
  lookup(sid: string, from: string, method: MethodName): Incoming | undefined {
    const inc = this.map.get(sid);
    if (!inc || inc.method !== method || inc.from.toLowerCase() !== from.toLowerCase()) return undefined;
    return inc;
  }
}

export interface ReceiverTransport {
  readonly name: MethodName;
  install(session: Session, registry: IncomingRegistry, options: ReceiverOptions): () => void;
}

export interface ReceiverOptions {
  ibbMaxBlockSize: number;
  /** SOCKS5 race: proxies start this long after direct candidates */
  s5bStaggerMs: number;
  s5bCandidateTimeoutMs: number;
  stallTimeoutMs: number;
  /** may we connect to this host a peer named (streamhost, URL)? see net/addresses.ts hostPolicy */
  acceptHost?: (host: string) => boolean;
  /** a jabber:iq:oob set without sid (legacy clients): resolves when downloaded and verified, or with why not */
  legacyOob?: (from: string, url: string) => Promise<Error | undefined>;
}
