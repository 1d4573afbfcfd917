// XEP-0260 Jingle SOCKS5 Bytestreams Transport (v1.0.3) and XEP-0261 Jingle In-Band Bytestreams
// Transport (v1.0). Pure build/parse.
//
//   <transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid=TSID mode='tcp' dstaddr=HASH?>
//     <candidate cid host jid port priority type='direct|assisted|tunnel|proxy'/>*
//     | <candidate-used cid/> | <candidate-error/> | <activated cid/> | <proxy-error/>
//   </transport>
//   <transport xmlns='urn:xmpp:jingle:transports:ibb:1' sid=TSID block-size=N stanza='iq'?/>
import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export type CandidateType = 'direct' | 'assisted' | 'tunnel' | 'proxy';
const TYPE_PREF: Record<CandidateType, number> = { direct: 126, assisted: 120, tunnel: 110, proxy: 10 };

export interface S5bCandidate {
  cid: string;
  jid: string;
  host: string;
  port: number;
  priority: number;
  type: CandidateType;
}

/** §4: priority = 2^16 * type preference + local preference. */
export const priorityOf = (type: CandidateType, local = 0) => (1 << 16) * TYPE_PREF[type] + local;

/** DST.ADDR for a candidate: SHA1(SID + offerer + other), the offerer's JID first (§2, note). */
export function s5bHash(tsid: string, offerer: string, other: string): string {
  return createHash('sha1').update(`${tsid}${offerer}${other}`, 'utf8').digest('hex');
}

export type S5bTransport =
  | { kind: 'candidates'; sid: string; mode: string; dstaddr?: string; candidates: S5bCandidate[] }
  | { kind: 'candidate-used'; sid: string; cid: string }
  | { kind: 'candidate-error'; sid: string }
  | { kind: 'activated'; sid: string; cid: string }
  | { kind: 'proxy-error'; sid: string };

export function buildS5b(t: S5bTransport): Element {
  const attrs = { xmlns: NS.jingleS5b, sid: t.sid };
  switch (t.kind) {
    case 'candidates':
      return xml('transport', { ...attrs, mode: t.mode, dstaddr: t.dstaddr }, ...t.candidates.map((c) => xml('candidate', { cid: c.cid, host: c.host, jid: c.jid, port: c.port, priority: c.priority, type: c.type })));
    case 'candidate-used':
    case 'activated':
      return xml('transport', attrs, xml(t.kind, { cid: t.cid }));
    case 'candidate-error':
    case 'proxy-error':
      return xml('transport', attrs, xml(t.kind));
  }
}

const TYPES = new Set(['direct', 'assisted', 'tunnel', 'proxy']);

export function parseS5b(el: Element | undefined): S5bTransport | undefined {
  if (!el || el.attrs.xmlns !== NS.jingleS5b || !el.attrs.sid) return undefined;
  const sid = el.attrs.sid;
  const used = el.getChild('candidate-used');
  if (used) return used.attrs.cid ? { kind: 'candidate-used', sid, cid: used.attrs.cid } : undefined;
  const act = el.getChild('activated');
  if (act) return act.attrs.cid ? { kind: 'activated', sid, cid: act.attrs.cid } : undefined;
  if (el.getChild('candidate-error')) return { kind: 'candidate-error', sid };
  if (el.getChild('proxy-error')) return { kind: 'proxy-error', sid };
  const candidates: S5bCandidate[] = [];
  for (const c of el.getChildren('candidate')) {
    const port = Number(c.attrs.port ?? '1080');
    const priority = Number(c.attrs.priority);
    const type = (c.attrs.type ?? 'direct') as CandidateType;
    // A candidate we cannot use is skipped, not fatal: the others may still work.
    if (!c.attrs.cid || !c.attrs.jid || !c.attrs.host || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    if (!Number.isSafeInteger(priority) || priority < 0 || !TYPES.has(type)) continue;
    candidates.push({ cid: c.attrs.cid, jid: c.attrs.jid, host: c.attrs.host, port, priority, type });
  }
  return { kind: 'candidates', sid, mode: el.attrs.mode ?? 'tcp', dstaddr: el.attrs.dstaddr, candidates };
}

export interface IbbTransport {
  sid: string;
  blockSize: number;
  stanza: string;
}

export function buildIbbTransport(t: IbbTransport): Element {
  return xml('transport', { xmlns: NS.jingleIbb, sid: t.sid, 'block-size': t.blockSize, stanza: t.stanza === 'iq' ? undefined : t.stanza });
}

export function parseIbbTransport(el: Element | undefined): IbbTransport | undefined {
  if (!el || el.attrs.xmlns !== NS.jingleIbb || !el.attrs.sid) return undefined;
  const bs = el.attrs['block-size'] ?? '4096';
  if (!/^[0-9]{1,5}$/.test(bs) || Number(bs) < 1 || Number(bs) > 65535) return undefined;
  return { sid: el.attrs.sid, blockSize: Number(bs), stanza: el.attrs.stanza ?? 'iq' };
}
