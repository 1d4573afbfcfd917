// Which addresses xfer advertises for the listeners it opens for a peer (SOCKS5 streamhost, OOB's
// HTTP server), whatever protocol negotiated them: one rule, used by SI and Jingle alike.
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
