// Where an account's server is (RFC 6120 §3.2 and XEP-0368): DNS SRV for direct TLS
// (_xmpps-client._tcp) and STARTTLS (_xmpp-client._tcp), ordered by priority and weight
// (RFC 2782), else the domain itself on 5222. `--server` skips all of this.
//
// Why not @xmpp/resolve: it also fetches https://DOMAIN/.well-known/host-meta (XEP-0156), an HTTP
// request xfer has no reason to make, and it cannot ask a given resolver (--dns-server).
import { Resolver } from 'node:dns/promises';
import { errors } from '../errors.js';
import { parseHostPort } from '../net/addresses.js';

export interface Endpoint {
  host: string;
  port: number;
  /** XEP-0368: TLS from the first byte (ALPN xmpp-client, SNI = the JID's domain) */
  directTls: boolean;
  /** how it was found, for the `connected` event and errors */
  via: 'srv' | 'fallback' | 'server' | 'redirect';
}

interface Srv {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** RFC 2782: lowest priority first; within one priority, a weighted random order. */
export function orderSrv<T extends Srv>(records: T[], random = Math.random): T[] {
  const out: T[] = [];
  const byPriority = new Map<number, T[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  for (const p of [...byPriority.keys()].sort((a, b) => a - b)) {
    const left = [...byPriority.get(p)!].sort((a, b) => a.weight - b.weight); // zero weights first
    while (left.length) {
      const total = left.reduce((s, r) => s + r.weight, 0);
      const pick = random() * total;
      let acc = 0;
      const i = total === 0 ? 0 : left.findIndex((r) => (acc += r.weight) > pick);
      out.push(left.splice(i < 0 ? left.length - 1 : i, 1)[0]!);
    }
  }
  return out;
}

export async function findEndpoints(domain: string, o: { server?: string; directTls?: boolean; dnsServer?: string }): Promise<Endpoint[]> {
  if (o.server) {
    const { host, port } = parseHostPort(o.server, o.directTls ? 5223 : 5222);
    return [{ host, port, directTls: !!o.directTls, via: 'server' }];
  }
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (o.dnsServer) {
    const { host, port } = parseHostPort(o.dnsServer, 53);
    resolver.setServers([host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`]);
  }
  const lookup = async (name: string, directTls: boolean) => {
    try {
      return (await resolver.resolveSrv(name)).map((r) => ({ ...r, directTls }));
    } catch (err: any) {
      if (['ENOTFOUND', 'ENODATA', 'ENONAME', 'ESERVFAIL', 'ETIMEOUT', 'ECONNREFUSED', 'EREFUSED'].includes(err?.code)) return [];
      throw errors.connect(`DNS lookup of ${name} failed: ${err?.code ?? err?.message}`, err);
    }
  };
  const [tls, starttls] = await Promise.all([lookup(`_xmpps-client._tcp.${domain}`, true), lookup(`_xmpp-client._tcp.${domain}`, false)]);
  return endpointsFrom(domain, tls, starttls);
}

/** At most this many servers are tried (5 s each): a zone with hundreds of records cannot stall a login. */
export const MAX_ENDPOINTS = 8;

/** The login order from SRV answers (pure: what the DNS said, checked). */
export function endpointsFrom(domain: string, tls: Array<Srv & { directTls: boolean }>, starttls: Array<Srv & { directTls: boolean }>): Endpoint[] {
  // A lone "." target means "no such service here" (RFC 2782). Port 0 or a target that is not a
  // host name is an answer no server gives: skipped.
  const usable = [...tls, ...starttls].filter((r) => r.name !== '.' && r.name !== '' && r.port > 0 && r.port < 65536 && /^[a-z0-9._-]+$/i.test(r.name));
  if (usable.length === 0) {
    if (tls.length + starttls.length > 0) throw errors.connect(`${domain} says it offers no XMPP client service (SRV target "." or no usable record)`);
    return [{ host: domain, port: 5222, directTls: false, via: 'fallback' }];
  }
  // One list by priority; on a tie direct TLS first (XEP-0368 §3: it saves a round trip).
  const ordered = orderSrv(usable).sort((a, b) => a.priority - b.priority || Number(b.directTls) - Number(a.directTls));
  return ordered.slice(0, MAX_ENDPOINTS).map((r) => ({ host: r.name.replace(/\.$/, ''), port: r.port, directTls: r.directTls, via: 'srv' as const }));
}
