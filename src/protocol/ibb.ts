// XEP-0047 In-Band Bytestreams (v2.0.1): pure build/parse, strict base64.
//
//   <open  xmlns='…/ibb' sid=SID block-size=N stanza='iq'/>      N ≤ 65535
//   <data  xmlns='…/ibb' sid=SID seq=0..65535>base64</data>       seq wraps to 0 after 65535
//   <close xmlns='…/ibb' sid=SID/>
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export const MAX_BLOCK = 65535;

export function buildOpen(sid: string, blockSize: number): Element {
  return xml('open', { xmlns: NS.ibb, sid, 'block-size': blockSize, stanza: 'iq' });
}

export function buildData(sid: string, seq: number, chunk: Buffer): Element {
  return xml('data', { xmlns: NS.ibb, sid, seq }, chunk.toString('base64'));
}

export function buildClose(sid: string): Element {
  return xml('close', { xmlns: NS.ibb, sid });
}

export type IbbOpen = { sid: string; blockSize: number; stanza: 'iq' | 'message' };

export function parseOpen(el: Element): IbbOpen | undefined {
  const sid = el.attrs.sid;
  const bs = el.attrs['block-size'] ?? '';
  if (!sid || !/^[0-9]{1,5}$/.test(bs)) return undefined;
  const blockSize = Number(bs);
  if (blockSize < 1 || blockSize > MAX_BLOCK) return undefined;
  const stanza = el.attrs.stanza === 'message' ? 'message' : 'iq';
  return { sid, blockSize, stanza };
}

export function nextSeq(seq: number): number {
  return seq === 65535 ? 0 : seq + 1;
}

// RFC 4648 §4: the alphabet, '=' only as final padding, length a multiple of 4. Checked by
// decoding and re-encoding (both native): Node's decoder silently skips junk, so anything that
// does not survive the round trip was not canonical base64. XML whitespace is dropped first
// (XEP-0047's own example wraps lines).
/**
 * Strict base64 decoding into the caller's buffer (one per stream, reused for every block): a fresh Buffer
 * per block is external memory V8 collects only after ~64 MiB of it, which was most of an IBB
 * receiver's peak RSS. Returns a view of `into`, 'invalid', or 'too-big' when the block would not
 * fit (more than the negotiated block size).
 */
export function decodeStrictInto(text: string, into: Buffer): Buffer | 'invalid' | 'too-big' {
  const compact = /[ \t\r\n]/.test(text) ? text.replace(/[ \t\r\n]+/g, '') : text;
  if (compact.length % 4 !== 0) return 'invalid';
  const pad = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  if ((compact.length / 4) * 3 - pad > into.length) return 'too-big';
  const view = into.subarray(0, into.write(compact, 0, 'base64'));
  return view.toString('base64') === compact ? view : 'invalid';
}

export type IbbData = { sid: string; seq: number; payload: string };

export function parseData(el: Element): IbbData | undefined {
  const sid = el.attrs.sid;
  const seqText = el.attrs.seq ?? '';
  if (!sid || !/^[0-9]{1,5}$/.test(seqText)) return undefined;
  const seq = Number(seqText);
  if (seq > 65535) return undefined;
  return { sid, seq, payload: el.text() };
}
