// XEP-0066 Out of Band Data (v1.5): jabber:iq:oob (with the optional sid that ties it to an SI
// negotiation, §5) and jabber:x:oob (a URL in a message). Pure build/parse.
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export interface OobIq {
  url: string;
  sid?: string;
  desc?: string;
}

export function buildIqOob(o: OobIq): Element {
  return xml('query', { xmlns: NS.iqOob, sid: o.sid }, xml('url', {}, o.url), o.desc ? xml('desc', {}, o.desc) : null);
}

export function parseIqOob(q: Element): OobIq | undefined {
  const url = q.getChildText('url')?.trim();
  if (!url) return undefined;
  return { url, sid: q.attrs.sid, desc: q.getChildText('desc') ?? undefined };
}

export interface OobMessage {
  url: string;
  desc?: string;
  /** xfer extension: XEP-0300 sha-256 (base64) and size next to the x:oob, when the sender knows them */
  sha256?: string;
  size?: number;
}

export function buildXOobMessage(to: string, o: OobMessage): Element {
  return xml(
    'message',
    { to, type: 'chat' },
    xml('body', {}, o.url),
    xml('x', { xmlns: NS.xOob }, xml('url', {}, o.url), o.desc ? xml('desc', {}, o.desc) : null),
    o.sha256 ? xml('hash', { xmlns: NS.hashes, algo: 'sha-256' }, o.sha256) : null,
    o.size !== undefined ? xml('size', { xmlns: 'urn:xfer:size:0' }, String(o.size)) : null,
  );
}

export function parseXOobMessage(m: Element): OobMessage | undefined {
  const x = m.getChild('x', NS.xOob);
  const url = x?.getChildText('url')?.trim();
  if (!url) return undefined;
  const sha = m.getChildren('hash', NS.hashes).find((h) => h.attrs.algo === 'sha-256');
  const sizeText = m.getChildText('size', 'urn:xfer:size:0');
  const size = sizeText && /^[0-9]{1,15}$/.test(sizeText) ? Number(sizeText) : undefined;
  return { url, desc: x!.getChildText('desc') ?? undefined, sha256: sha?.text().trim(), size };
}
