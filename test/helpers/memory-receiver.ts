// An xfer receiver on an in-memory session (fake-net.ts): the real SI and Jingle responders, the
// real incoming lifecycle and file sink, events collected. Unit tests of negotiation and lifecycle.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jingleResponder } from '../../src/negotiators/jingle/respond.js';
import { siResponder } from '../../src/negotiators/si.js';
import type { RespondContext } from '../../src/negotiators/types.js';
import { NS } from '../../src/protocol/ns.js';
import type { XferEvent } from '../../src/report/events.js';
import { IncomingTransfers, type IncomingOptions } from '../../src/transfer/incoming.js';
import type { MethodName } from '../../src/transports/types.js';
import type { Session } from '../../src/xmpp/session.js';

export async function receiverOn(s: Session, methods: MethodName[], rx: Partial<RespondContext> = {}, allowed = (j: string) => j.startsWith('alice@'), life: Partial<IncomingOptions> = {}) {
  const out = await mkdtemp(path.join(tmpdir(), 'xfer-unit-'));
  const events: XferEvent[] = [];
  const incoming = new IncomingTransfers({ outputDir: out, overwrite: false, resume: false, count: 1, stallTimeoutMs: 5000, retryGraceMs: 0, emit: (e) => events.push(e), signal: new AbortController().signal, ...life });
  const ctx: RespondContext = {
    session: s, incoming, allowed, methods, emit: (e) => events.push(e), ibbMaxBlockSize: 65535, s5bStaggerMs: 100, s5bCandidateTimeoutMs: 1000, stallTimeoutMs: 5000,
    transport: { direct: true, directHosts: [], directPort: 0, proxies: [], proxyDiscovery: false }, ...rx,
  };
  const off = [siResponder.install(ctx), jingleResponder.install(ctx)];
  const features = [...siResponder.features(methods), ...jingleResponder.features(methods), NS.hashes, NS.hashSha256];
  return { out, events, incoming, features, uninstall: () => off.forEach((f) => f()) };
}

