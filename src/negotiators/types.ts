// What a negotiator (SI, Jingle) implements, on each side. A negotiator agrees with the peer on
// a transport, sid and offset, runs the transport, and falls back in its own way (SI: a new
// offer without the failed method; Jingle: transport-replace inside the session). It never
// counts, stalls, verifies or places files: the send driver (transfer/outgoing.ts) and the
// incoming lifecycle (transfer/incoming.ts) do that for every negotiator alike.
import type { Emit, Protocol } from '../report/events.js';
import type { IncomingTransfers } from '../transfer/incoming.js';
import type { MethodName, ReceiverOptions, TransportOptions } from '../transports/types.js';
import type { Session } from '../xmpp/session.js';

export interface PreparedFile {
  file: string;
  /** the name offered: a basename, or for a file from a folder its flattened relative path */
  name: string;
  size: number;
  mtime: Date;
  /** relative path (dir/sub/name) for a file from a folder: xfer receivers recreate the folders */
  path?: string;
}

/** The driver's watch over one transport run: progress re-arms the stall watchdog. */
export interface Tracker {
  onProgress(bytes: number): void;
  /** aborted by the caller, the peer going away, or a stall */
  readonly signal: AbortSignal;
  /** set when the watchdog fired: a stuck peer is not helped by another method */
  readonly stalled: Error | undefined;
  stop(): void;
}

export interface SendJob {
  session: Session;
  peer: string;
  peerFeatures: string[];
  file: PreparedFile;
  /** transports to use, best first, already narrowed to what this negotiator can carry */
  methods: MethodName[];
  desc?: string;
  offerTimeoutMs: number;
  transport: TransportOptions;
  emit: Emit;
  signal: AbortSignal;
  /** `offset`: where this run starts in the file (a resumed transfer), for rates and estimates */
  track(sid: string, method: MethodName, offset?: number): Tracker;
}

export interface SendOutcome {
  sid: string;
  method: MethodName;
  offset: number;
  sha256: string; // hex
}

export interface SendNegotiator {
  readonly protocol: Protocol;
  /** the transports this negotiator can carry */
  readonly methods: readonly MethodName[];
  /** does the peer's disco#info say it speaks this negotiation? */
  supports(peerFeatures: string[]): boolean;
  send(job: SendJob): Promise<SendOutcome>;
}

/** What a responder gets: the receive options its transports take, plus the session and lifecycle. */
export interface RespondContext extends ReceiverOptions {
  session: Session;
  incoming: IncomingTransfers;
  allowed(jid: string): boolean;
  /** transports to accept, best first */
  methods: MethodName[];
  emit: Emit;
  /** SOCKS5 streamhost offered by the receiver too (Jingle) */
  transport: Pick<TransportOptions, 'direct' | 'directHosts' | 'directPort' | 'proxies' | 'proxyDiscovery'>;
}

export interface RespondNegotiator {
  readonly protocol: Protocol;
  /** disco features to announce for these transports */
  features(methods: MethodName[]): string[];
  /** install the iq handlers; returns the uninstaller */
  install(ctx: RespondContext): () => void;
}
