// Which addresses xfer advertises for the listeners it opens for a peer (SOCKS5 streamhost, OOB's
// HTTP server), whatever protocol negotiated them: one rule, used by SI and Jingle alike.
import { isIP } from 'node:net';
import { errors } from '../errors.js';

export const isLoopback = (a: string) => a === '::1' || a.startsWith('127.') || a === '::ffff:127.0.0.1' || a === 'localhost';

export function parseHostPort(s: string, defPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw errors.usage(`bad host[:port] '${s}'`);
  const port = m[2] ? Number(m[2]) : defPort;
  if (!(port > 0 && port < 65536)) throw errors.usage(`bad port in '${s}'`);
  return { host: m[1]!, port };
}

/** The two ends of our connection to the XMPP server. */
export interface ServerLink {
  localAddress: string;
  remoteAddress: string;
}

/** The address to bind a listener on: the interface that reaches the server. */
export const bindAddress = (link: ServerLink) => link.localAddress.replace(/^::ffff:/, '');

/**
 * Direct candidates. 'auto' is the address of the interface we reach the XMPP server on: a peer
 * of the same server can plausibly reach it. Loopback is offered only when the server connection
 * itself is on loopback (then the peer is on this machine too); otherwise it is never advertised.
 */
export function directCandidates(link: ServerLink, hosts: string[], port: number): Array<{ host: string; port: number }> {
  const out: Array<{ host: string; port: number }> = [];
  for (const h of hosts.length ? hosts : ['auto']) {
    if (h === 'auto') {
      const local = bindAddress(link);
      if (isLoopback(local) && !isLoopback(link.remoteAddress.replace(/^::ffff:/, ''))) continue;
      out.push({ host: local, port });
    } else {
      out.push(parseHostPort(h, port));
    }
  }
  return out;
}

/** Addresses no peer's host is: unspecified (this machine), multicast, broadcast. */
export function unusableHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '255.255.255.255' || /^(22[4-9]|23\d)\./.test(h) || /^ff[0-9a-f]{2}:/.test(h) || /^0\./.test(h);
}

type Scope = 'loopback' | 'private' | 'public';
function scopeOf(ip: string): Scope {
  const a = ip.replace(/^::ffff:/, '').toLowerCase();
  if (isLoopback(a)) return 'loopback';
  if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/.test(a) || /^(fc|fd|fe8|fe9|fea|feb)/.test(a)) return 'private';
  return 'public';
}

/**
 * Which hosts a receiver connects to when a peer names them (a SOCKS5 streamhost, an OOB or
 * upload URL). Default: any, except addresses no host has (unusableHost). Strict (--strict-hosts):
 * IP literals only, so the peer cannot make xfer look up names of its choosing, and none "closer"
 * than our own server link: with a public server no loopback or private address (no reaching into
 * this machine or its LAN for a remote peer), with a server on the LAN no loopback.
 */
export function hostPolicy(link: ServerLink, strict: boolean): (host: string) => boolean {
  if (!strict) return (host) => !unusableHost(host);
  const ours = scopeOf(link.remoteAddress);
  const rank: Record<Scope, number> = { loopback: 0, private: 1, public: 2 };
  return (host) => {
    const h = host.replace(/^\[|\]$/g, '');
    return !unusableHost(h) && isIP(h) !== 0 && rank[scopeOf(h)] >= rank[ours];
  };
}
