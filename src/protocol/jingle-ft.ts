// XEP-0234 Jingle File Transfer (v0.19.x, namespace :5): the <file/> of an offer, the checksum
// and received session-infos, with XEP-0300 hashes. Pure build/parse.
//
//   <description xmlns='urn:xmpp:jingle:apps:file-transfer:5'>
//     <file><date/>? <desc/> <media-type/>? <name/> <size/> <range offset? length?/>?
//           <hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>b64</hash>* <hash-used algo/>*</file>
//   </description>
//   session-info: <checksum xmlns=FT5 creator name><file><hash algo>b64</hash>…</file></checksum>
//                 <received xmlns=FT5 creator name/>
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export interface JingleFile {
  name: string;
  size: number;
  date?: string;
  mediaType?: string;
  desc?: string;
  /** algo → base64 digest */
  hashes: Record<string, string>;
  hashUsed: string[];
  /** present when the offer/accept has <range/> */
  range?: { offset: number; length?: number };
  /** xfer extension: relative path when sent from a folder (`name` is then flattened) */
  path?: string;
}

export function buildDescription(f: JingleFile): Element {
  return xml(
    'description',
    { xmlns: NS.jingleFt },
    xml(
      'file',
      {},
      f.date ? xml('date', {}, f.date) : null,
      // Libervia 0.9 rejects an offer without <desc/>: an empty one costs nothing.
      xml('desc', {}, f.desc ?? ''),
      xml('media-type', {}, f.mediaType ?? 'application/octet-stream'),
      xml('name', {}, f.name),
      xml('size', {}, String(f.size)),
      f.range ? xml('range', { offset: f.range.offset || undefined, length: f.range.length }) : null,
      ...Object.entries(f.hashes).map(([algo, v]) => xml('hash', { xmlns: NS.hashes, algo }, v)),
      ...f.hashUsed.map((algo) => xml('hash-used', { xmlns: NS.hashes, algo })),
      f.path ? xml('path', { xmlns: NS.xferPath }, f.path) : null,
    ),
  );
}

const DIGITS = /^[0-9]{1,16}$/;

export function parseFile(file: Element | undefined): JingleFile | undefined {
  if (!file) return undefined;
  const name = file.getChildText('name') ?? '';
  const sizeText = file.getChildText('size') ?? '';
  if (!name || !DIGITS.test(sizeText)) return undefined;
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return undefined;
  const r = file.getChild('range');
  let range: JingleFile['range'];
  if (r) {
    const off = r.attrs.offset ?? '0';
    const len = r.attrs.length;
    if (!DIGITS.test(off) || (len !== undefined && !DIGITS.test(len))) return undefined;
    range = { offset: Number(off), length: len === undefined ? undefined : Number(len) };
  }
  return {
    name,
    size,
    date: file.getChildText('date') ?? undefined,
    mediaType: file.getChildText('media-type') ?? undefined,
    desc: file.getChildText('desc') ?? undefined,
    hashes: parseHashes(file),
    hashUsed: file.getChildren('hash-used', NS.hashes).map((h) => h.attrs.algo ?? '').filter(Boolean),
    range,
    path: file.getChildText('path', NS.xferPath) ?? undefined,
  };
}

export function parseDescription(d: Element | undefined): JingleFile | undefined {
  if (!d || d.attrs.xmlns !== NS.jingleFt) return undefined;
  return parseFile(d.getChild('file'));
}

function parseHashes(file: Element): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of file.getChildren('hash', NS.hashes)) if (h.attrs.algo) out[h.attrs.algo] = h.text().trim();
  return out;
}

/**
 * The sha-256 of a checksum or offer as a canonical base64 digest, or undefined. Libervia 0.9
 * base64-encodes the hex text of its digest instead of the digest: both name the same 32 bytes,
 * so both are read as that digest, never as something weaker.
 */
export function sha256Of(hashes: Record<string, string>): string | undefined {
  const v = hashes['sha-256'];
  if (!v || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return undefined;
  const raw = Buffer.from(v, 'base64');
  if (raw.length === 32) return raw.toString('base64');
  const text = raw.toString('latin1');
  if (raw.length === 64 && /^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex').toString('base64');
  return undefined;
}

export function buildChecksum(creator: string, name: string, algo: string, b64: string): Element {
  return xml('checksum', { xmlns: NS.jingleFt, creator, name }, xml('file', {}, xml('hash', { xmlns: NS.hashes, algo }, b64)));
}

export function parseChecksum(el: Element): Record<string, string> | undefined {
  if (el.name !== 'checksum' || el.attrs.xmlns !== NS.jingleFt) return undefined;
  const f = el.getChild('file');
  return f ? parseHashes(f) : undefined;
}

export function buildReceived(creator: string, name: string): Element {
  return xml('received', { xmlns: NS.jingleFt, creator, name });
}
