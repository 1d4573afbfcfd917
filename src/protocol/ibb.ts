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

// RFC 4648 §4: the alphabet, '=' only as final padding, length a multiple of 4, and canonical
// (§3.5: the bits the padding leaves over are zero, so one block has exactly one encoding). Node's
// decoder silently skips junk, hence the checks before it. XML whitespace is dropped first
// (XEP-0047's own example wraps lines).
const ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;
const LAST_BEFORE_PAD = ['', 'AEIMQUYcgkosw048', 'AQgw']; // by padding length: low bits zero

/**
 * Strict base64 decoding into the caller's buffer (one per stream, reused for every block): a
 * fresh Buffer per block is external memory V8 collects only after ~64 MiB of it, which was most
 * of an IBB receiver's peak RSS; checking by re-encoding cost another 64 KiB string per block.
 * Returns a view of `into`, 'invalid', or 'too-big' when the block would not fit (more than the
 * negotiated block size).
 */
export function decodeStrictInto(text: string, into: Buffer): Buffer | 'invalid' | 'too-big' {
  const compact = /[ \t\r\n]/.test(text) ? text.replace(/[ \t\r\n]+/g, '') : text;
  if (compact.length % 4 !== 0 || !ALPHABET.test(compact)) return 'invalid';
  const pad = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  if (pad && !LAST_BEFORE_PAD[pad]!.includes(compact[compact.length - pad - 1]!)) return 'invalid';
  const n = (compact.length / 4) * 3 - pad;
  if (n > into.length) return 'too-big';
  return into.write(compact, 0, 'base64') === n ? into.subarray(0, n) : 'invalid';
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
