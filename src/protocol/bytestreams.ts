// XEP-0065 SOCKS5 Bytestreams (v1.8.2): pure build/parse of the iq payloads, and the DST.ADDR.
//
//   offer   <query xmlns='…/bytestreams' sid=SID mode='tcp'><streamhost jid host port/>…</query>
//   used    <query xmlns='…/bytestreams' sid=SID><streamhost-used jid=JID/></query>
//   activate <query xmlns='…/bytestreams' sid=SID><activate>TARGET</activate></query>
import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export interface StreamHost {
  jid: string;
  host: string;
  port: number;
}

/** §5.3.2: SHA1(SID + Requester JID + Target JID), lowercase hex; the JIDs as full, normalised. */
export function dstAddr(sid: string, requester: string, target: string): string {
  return createHash('sha1').update(`${sid}${normJid(requester)}${normJid(target)}`, 'utf8').digest('hex');
}

// Local part and domain are case-insensitive (RFC 7622 after PRECIS/nameprep folding); the
// resource is case-sensitive. ASCII folding covers what servers here hand out.
function normJid(jid: string): string {
  const slash = jid.indexOf('/');
  const bare = slash >= 0 ? jid.slice(0, slash) : jid;
  return bare.toLowerCase() + (slash >= 0 ? jid.slice(slash) : '');
}

export function buildStreamhosts(sid: string, hosts: StreamHost[]): Element {
  return xml('query', { xmlns: NS.bytestreams, sid, mode: 'tcp' }, ...hosts.map((h) => xml('streamhost', { jid: h.jid, host: h.host, port: h.port })));
}

export function parseStreamhosts(q: Element): { sid: string; mode: string; hosts: StreamHost[] } | undefined {
  const sid = q.attrs.sid;
  if (!sid) return undefined;
  const hosts: StreamHost[] = [];
  for (const s of q.getChildren('streamhost')) {
    const port = Number(s.attrs.port ?? '1080');
    if (!s.attrs.jid || !s.attrs.host || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    hosts.push({ jid: s.attrs.jid, host: s.attrs.host, port });
  }
  return { sid, mode: q.attrs.mode ?? 'tcp', hosts };
}

export function buildUsed(sid: string, jid: string): Element {
  return xml('query', { xmlns: NS.bytestreams, sid }, xml('streamhost-used', { jid }));
}

export function parseUsed(q: Element | undefined): string | undefined {
  return q?.getChild('streamhost-used')?.attrs.jid;
}

export function buildActivate(sid: string, target: string): Element {
  return xml('query', { xmlns: NS.bytestreams, sid }, xml('activate', {}, target));
}

/** A proxy's answer to <query/> (§4.3): its own streamhost. */
export function parseProxyAddress(q: Element | undefined): StreamHost | undefined {
  const s = q?.getChild('streamhost');
  const port = Number(s?.attrs.port);
  if (!s?.attrs.jid || !s.attrs.host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { jid: s.attrs.jid, host: s.attrs.host, port };
}
