// One logged-in XMPP session, composed from xmpp.js pieces (client-core + tcp + middleware +
// stream-features + iq caller + sasl + resource binding) with xfer's own STARTTLS step (so that
// --ca and --insecure reach tls.connect) and SASL mechanisms (see scram.ts).
import net from 'node:net';
import tls from 'node:tls';
import { debug } from '../log.js';
import { Client } from '@xmpp/client-core';
import ConnectionTCP from '@xmpp/tcp/lib/Connection.js';
import ConnectionTLS from '@xmpp/tls/lib/Connection.js';
import _middleware from '@xmpp/middleware';
import _streamFeatures from '@xmpp/stream-features';
import _iqCaller from '@xmpp/iq/caller.js';
import _resourceBinding from '@xmpp/resource-binding';
import TlsSocket from '@xmpp/tls/lib/Socket.js';
import { promise } from '@xmpp/events';
import xml, { type Element } from '@xmpp/xml';
import { errors, XferError } from '../errors.js';
import { buildError, type ErrorType } from '../protocol/stanza-error.js';
import { IqRouter, type IqHandler } from './iq-router.js';
import { IqRequests } from './iq-requests.js';
import { LinearParser } from './parser.js';
import { findEndpoints, type Endpoint } from './endpoints.js';
import { parseHostPort } from '../net/addresses.js';
import { splitJid } from './jid.js';
import { installSasl, NS_SASL } from './sasl.js';
export { splitJid };
import { withTimeout } from '../streams/abortable.js';

// xmpp.js detaches its socket listeners when a connection fails; a reset that comes after that
// would be an uncaught 'error' and end the process with exit 1 instead of "cannot reach the
// server" (exit 4). Every socket keeps a listener of its own for that.
const noop = () => {};
class SafeTlsSocket extends (TlsSocket as any) {
  constructor() {
    super();
    this.on('error', noop);
  }
  _attachSocket(s: any) {
    super._attachSocket(s);
    s.on('error', noop);
  }
}
class SafeTcpSocket extends net.Socket {
  secure = false;
  constructor() {
    super();
    this.on('error', noop);
  }
}
// (The client uses the transport's Socket and Parser classes, not its methods.)
class XferTcp extends (ConnectionTCP as any) {}
(XferTcp as any).prototype.Parser = LinearParser;
(XferTcp as any).prototype.Socket = SafeTcpSocket;
class XferTls extends (ConnectionTLS as any) {}
(XferTls as any).prototype.Parser = LinearParser;
(XferTls as any).prototype.Socket = SafeTlsSocket;

const log = debug('xfer:xmpp');
const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

export interface SessionOptions {
  jid: string; // bare or full; a resource, if given, is requested at bind
  password: string;
  server?: string; // host[:port]
  ca?: Buffer;
  insecure?: boolean;
  connectTimeoutMs?: number;
  /** XEP-0368: with --server, speak TLS from the first byte */
  directTls?: boolean;
  /** ask this resolver (ADDR[:PORT]) for SRV records instead of the system's */
  dnsServer?: string;
  /** --xml: every top-level element in ('<<') and out ('>>'), SASL payloads and IBB data elided */
  xmlLog?: (direction: 'in' | 'out', xml: string) => void;
}

export interface Session {
  readonly jid: string; // bound full JID
  readonly bare: string;
  readonly domain: string;
  readonly serverHost: string;
  /** where we are logged in: host:port, TLS mode and how it was found */
  readonly endpoint: string;
  /** our address on the connection to the server: the interface a peer could reach us on */
  readonly localAddress: string;
  readonly remoteAddress: string;
  send(el: Element): Promise<void>;
  /** iq get/set; resolves with the result stanza, rejects with StanzaError or a timeout error. */
  iq(to: string | undefined, type: 'get' | 'set', child: Element, timeoutMs?: number): Promise<Element>;
  handleIq(type: 'get' | 'set', xmlns: string, name: string, handler: IqHandler): () => void;
  onStanza(fn: (el: Element) => void): () => void;
  onClose(fn: (err?: Error) => void): void;
  /**
   * XEP-0199 ping to the server every `intervalMs`: a connection that does not answer within
   * 10 s is dropped (onClose fires), so a dead TCP connection is noticed. Returns the stopper.
   */
  keepalive(intervalMs: number): () => void;
  close(): Promise<void>;
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME|EPROTO/;

/** Log in at the first endpoint that answers (SRV order, or --server); see endpoints.ts. */
export async function connect(opts: SessionOptions): Promise<Session> {
  const { domain } = splitJid(opts.jid);
  const endpoints = await findEndpoints(domain, { server: opts.server, directTls: opts.directTls, dnsServer: opts.dnsServer });
  let first: XferError | undefined;
  let redirects = 0;
  for (let i = 0; i < endpoints.length; i++) {
    const ep = endpoints[i]!;
    try {
      return await connectTo(opts, ep, endpoints.length > 1 ? 5000 : undefined);
    } catch (err) {
      const x = err instanceof XferError ? err : errors.connect(String((err as Error)?.message ?? err), err);
      // see-other-host: the same login at the host the server names, the same TLS mode, the
      // certificate still checked against the JID's domain; at most twice (no redirect loops).
      const other = (x as { redirect?: string }).redirect;
      if (other && redirects++ < 2) {
        const { host, port } = parseHostPort(other, ep.port);
        log('%s:%d says see-other-host %s', ep.host, ep.port, other);
        endpoints.splice(i + 1, 0, { host, port, directTls: ep.directTls, via: 'redirect' });
        continue;
      }
      // Only "could not reach it" moves on to the next server: a bad password or certificate
      // would be the same there, and is the user's to see.
      if (x.code !== 'ECONNECT' || streamCondition(x)) throw x;
      log('%s:%d (%s) failed: %s', ep.host, ep.port, ep.directTls ? 'direct TLS' : 'STARTTLS', x.message);
      first ??= x;
    }
  }
  if (endpoints.length === 1) throw first!;
  throw errors.connect(`none of ${domain}'s ${endpoints.length} servers could be reached (${endpoints.map((e) => `${e.host}:${e.port}`).join(', ')}); first error: ${first!.message}`);
}

async function connectTo(opts: SessionOptions, ep: Endpoint, attemptTimeoutMs?: number): Promise<Session> {
  const { local, domain, resource } = splitJid(opts.jid);
  const { host, port } = ep;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  const entity = new Client({ service: `${ep.directTls ? 'xmpps' : 'xmpp'}://${bracketed}:${port}`, domain, timeout: attemptTimeoutMs ?? opts.connectTimeoutMs ?? 10000 });
  // Socket parameters straight from the endpoint (an IPv6 literal stays unbracketed; both
  // address families are tried, happy eyeballs); for direct TLS the certificate is checked
  // against the JID's domain, never the SRV target.
  class Tcp extends XferTcp {
    socketParameters() {
      return { host, port, autoSelectFamily: true };
    }
  }
  class DirectTls extends XferTls {
    socketParameters() {
      return { host, port, autoSelectFamily: true, servername: domain, ca: opts.ca, rejectUnauthorized: !opts.insecure, ALPNProtocols: ['xmpp-client'] };
    }
  }
  entity.transports.push(ep.directTls ? DirectTls : Tcp);
  // @xmpp/connection's start() creates its "online" promise and then awaits open(): when open()
  // fails (a reset, a TLS port spoken to in plain text) that promise rejects with nobody
  // listening, an unhandled rejection. The same steps, with the promise observed.
  // see-other-host: xmpp.js would reconnect this same client on its own, past our endpoint's
  // socket parameters; connect() follows it instead (a new endpoint, certificate checks intact).
  (entity as any)._onSeeOtherHost = (error: Error) => entity.emit('error', error);
  entity.start = async function (this: any) {
    const { service, domain: d, lang } = this.options;
    await this.connect(service);
    const online = promise(this, 'online');
    online.catch(noop);
    await this.open({ domain: d, lang });
    return online;
  };
  const middleware = _middleware({ entity });
  const streamFeatures = _streamFeatures({ middleware });
  const iqCaller = _iqCaller({ middleware, entity });
  const router = new IqRouter((el) => entity.send(el));
  middleware.use((ctx: { stanza: Element }, next: () => Promise<unknown>) => (router.route(ctx.stanza) ? undefined : next()));
  const requests = new IqRequests((el) => entity.send(el));
  middleware.use((ctx: { stanza: Element }, next: () => Promise<unknown>) => (requests.route(ctx.stanza) ? undefined : next()));

  streamFeatures.use('starttls', NS_TLS, async ({ entity: e }: { entity: any }) => {
    const reply: Element = await e.sendReceive(xml('starttls', { xmlns: NS_TLS }));
    if (!reply.is('proceed', NS_TLS)) throw errors.tls('server refused STARTTLS');
    const sock = new SafeTlsSocket();
    sock.connect({ socket: e.socket, host, servername: domain, ca: opts.ca, rejectUnauthorized: !opts.insecure });
    await promise(sock, 'connect');
    e._attachSocket(sock);
    await e.restart();
  });

  let features: Element | undefined;
  entity.on('element', (el: Element) => {
    if (el.name === 'stream:features' || el.name === 'features') features = el;
  });
  installSasl(streamFeatures, { username: local, password: opts.password }, () => features);
  _resourceBinding({ iqCaller, streamFeatures }, resource ?? `xfer-${Math.random().toString(36).slice(2, 8)}`);

  entity.on('error', (err: Error) => log('error %s', err.message));
  if (opts.xmlLog) {
    entity.on('element', (el: Element) => opts.xmlLog!('in', redact(el)));
    entity.on('send', (el: Element) => opts.xmlLog!('out', redact(el)));
  }
  try {
    await withTimeout(entity.start(), attemptTimeoutMs ?? opts.connectTimeoutMs ?? 15000, () => errors.connect(`timed out connecting to ${host}:${port}`));
  } catch (err) {
    try {
      entity.socket?.socket?.destroy?.();
      entity.socket?.destroy?.();
    } catch {}
    const x = mapConnectError(err, host, port);
    // Plain XMPP spoken to a direct-TLS port ends in a reset: say what probably happened.
    if (!ep.directTls && ep.via === 'server' && /ECONNRESET/.test(x.message)) throw errors.connect(`${x.message} (if ${host}:${port} is a direct-TLS port, add --direct-tls)`, err);
    throw x;
  }
  // Large IBB stanzas must not sit behind Nagle waiting for an ACK.
  entity.socket?.socket?.setNoDelay?.(true);

  const fullJid: string = entity.jid.toString();
  const closeFns: Array<(err?: Error) => void> = [];
  let closing = false;
  // The server says why it ends the stream (conflict: this resource logged in elsewhere;
  // system-shutdown; policy-violation): that reason, not just "lost", is what the user sees.
  let streamError: (Error & { condition?: string; text?: string }) | undefined;
  entity.on('error', (err: any) => {
    if (err?.name === 'StreamError') streamError = err;
  });
  let dead: XferError | undefined;
  entity.on('disconnect', () => {
    if (dead) {
      requests.failAll(dead);
      if (!closing) closeFns.forEach((f) => f(dead));
      return;
    }
    const why = streamError ? `: the server ended the stream (${streamError.condition}${streamError.text ? `: ${streamError.text}` : ''})` : '';
    // The StreamError is the cause: what a caller decides on (receive: reconnect or not) is its condition.
    const lost = errors.connect(`connection to the XMPP server lost${why}`, streamError);
    requests.failAll(lost);
    if (!closing) closeFns.forEach((f) => f(lost));
  });

  const session: Session = {
    jid: fullJid,
    bare: fullJid.split('/')[0]!,
    domain,
    serverHost: host,
    endpoint: `${bracketed}:${port} (${ep.directTls ? 'direct TLS' : 'STARTTLS'}${ep.via === 'srv' ? ', from DNS SRV' : ep.via === 'fallback' ? ', no SRV record' : ep.via === 'redirect' ? ', see-other-host' : ''})`,
    localAddress: entity.socket?.socket?.localAddress ?? '127.0.0.1',
    remoteAddress: entity.socket?.socket?.remoteAddress ?? host,
    send: (el) => entity.send(el),
    iq(to, type, child, timeoutMs = 30000) {
      return requests.request(type, to, child, timeoutMs, () => errors.timeout(`no answer from ${to ?? domain} within ${Math.round(timeoutMs / 1000)} s`));
    },
    handleIq: (type, xmlns, name, handler) => router.add(type, xmlns, name, handler),
    onStanza(fn) {
      entity.on('stanza', fn);
      return () => entity.off('stanza', fn);
    },
    onClose(fn) {
      closeFns.push(fn);
    },
    keepalive(intervalMs) {
      entity.socket?.socket?.setKeepAlive?.(true, intervalMs);
      entity.socket?.setKeepAlive?.(true, intervalMs);
      let busy = false;
      const t = setInterval(() => {
        if (busy) return;
        busy = true;
        requests
          .request('get', domain, xml('ping', { xmlns: 'urn:xmpp:ping' }), Math.min(10000, intervalMs), () => errors.timeout('ping timeout'))
          .catch((err) => {
            // An error reply still proves the server is there; only silence means a dead link.
            if (err?.name === 'StanzaError' || closing) return;
            log('keepalive: no answer from %s (%s); dropping the connection', domain, err?.message);
            dead = errors.connect(`no answer from ${domain} to a keepalive ping within ${Math.min(10, intervalMs / 1000)} s: the connection is dead`);
            entity.socket?.destroy?.();
            entity.socket?.socket?.destroy?.();
          })
          .finally(() => (busy = false));
      }, intervalMs);
      t.unref();
      return () => clearInterval(t);
    },
    async close() {
      closing = true;
      await router.idle(5000);
      try {
        await withTimeout(entity.stop(), 3000, () => new Error('stop timeout'));
      } catch {
        entity.socket?.socket?.destroy?.();
      }
    },
  };
  return session;
}

function mapConnectError(err: unknown, host: string, port: number): XferError {
  if (err instanceof XferError) return err;
  const e = err as any;
  const code = String(e?.code ?? '');
  const msg = String(e?.message ?? err);
  if (e?.name === 'SASLError') {
    return errors.auth(`authentication failed: ${e.condition ?? msg}${e.text ? ` (${e.text})` : ''}`);
  }
  if (TLS_CODES.test(code) || /certificate|self.signed|TLS|SSL/i.test(msg)) {
    return errors.tls(`TLS failure talking to ${host}:${port}: ${msg} (use --ca FILE to trust a private CA)`, err);
  }
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EAI_AGAIN|ETIMEDOUT/.test(code + msg)) {
    return errors.connect(`cannot reach XMPP server ${host}:${port}: ${code || msg}`, err);
  }
  if (e?.name === 'StreamError') {
    const x = errors.connect(`server closed the stream: ${e.condition ?? msg}${e.text ? ` (${e.text})` : ''}`, err);
    // RFC 6120 §4.9.3.19: "connect there instead"; the text of the element is host[:port].
    const other = e.condition === 'see-other-host' ? e.element?.getChildText?.('see-other-host', 'urn:ietf:params:xml:ns:xmpp-streams')?.trim() : undefined;
    if (other) Object.assign(x, { redirect: other });
    return x;
  }
  return errors.connect(`could not connect to ${host}:${port}: ${msg}`, err);
}

export function replyError(type: ErrorType, condition: string, text?: string, app?: Element) {
  return new IqReplyError(buildError(type, condition, { text, app }));
}

/** Thrown from an IqHandler to answer the iq with this <error/>. */
export class IqReplyError extends Error {
  constructor(readonly error: Element) {
    super('iq error reply');
  }
}


/** What --xml may print: SASL exchanges carry password-derived data; IBB blocks are just bulk. */
export function redact(el: Element): string {
  if (el.attrs.xmlns === NS_SASL && el.text()) return xml(el.name, el.attrs, '[redacted]').toString();
  const data = el.getChild('data', 'http://jabber.org/protocol/ibb');
  if (data && data.text().length > 64) return xml(el.name, el.attrs, xml('data', data.attrs, `[${data.text().length} base64 characters]`)).toString();
  return el.toString();
}

/** The condition of the stream error that ended a connection, if one did. */
export function streamCondition(err: unknown): string | undefined {
  const cause = (err as { cause?: { name?: string; condition?: string } })?.cause;
  return cause?.name === 'StreamError' ? cause.condition : undefined;
}
