// JIDs as xfer accepts them on the command line and from the server.
import { errors } from '../errors.js';

/**
 * A JID as RFC 7622 shapes it: [local@]domain[/resource], each part non-empty, no second '@'
 * before the domain, no spaces or control characters. Anything else is a usage error (exit 2),
 * never a connection attempt. `needLocal`: an account or a peer, not a bare domain.
 */
export function splitJid(jid: string, needLocal = true): { local: string; domain: string; resource?: string } {
  const bad = (why: string) => errors.usage(`not a JID: '${jid}' (${why}; expected user@host or user@host/resource)`);
  const slash = jid.indexOf('/');
  const bare = slash >= 0 ? jid.slice(0, slash) : jid;
  const resource = slash >= 0 ? jid.slice(slash + 1) : undefined;
  if (resource === '') throw bad('empty resource');
  const at = bare.lastIndexOf('@');
  const local = at >= 0 ? bare.slice(0, at) : '';
  const domain = bare.slice(at + 1);
  if (needLocal && at < 0) throw bad('no user part');
  if (at >= 0 && local === '') throw bad('empty user part');
  if (local.includes('@')) throw bad("more than one '@'");
  if (!domain || /[\s@/]/.test(domain) || domain.startsWith('.') || domain.endsWith('..')) throw bad('bad domain');
  if (/[\s\u0000-\u001f"&'<>:]/.test(local)) throw bad('character not allowed in the user part');
  if (resource !== undefined && /[\u0000-\u001f]/.test(resource)) throw bad('control character in the resource');
  return { local: local.toLowerCase(), domain: domain.toLowerCase(), resource };
}
