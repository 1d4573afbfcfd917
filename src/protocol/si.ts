// XEP-0095 Stream Initiation (v1.2) with the XEP-0096 file-transfer profile (v1.3.1),
// XEP-0020 feature negotiation (v1.5) of the stream method, and an XEP-0300 (v1.0) sha-256
// element inside <file/> so that xfer peers verify more than md5. Pure build/parse.
//
//   <iq type='set'>
//     <si xmlns='…/si' id=SID profile='…/si/profile/file-transfer' mime-type=…>
//       <file xmlns='…/file-transfer' name size date? hash?(md5 hex)>
//         <desc/>? <range/>? <hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>b64</hash>?
//       </file>
//       <feature xmlns='…/feature-neg'><x xmlns='jabber:x:data' type='form'>
//         <field var='stream-method' type='list-single'><option><value>NS</value></option>…
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export interface FileOffer {
  sid: string;
  name: string;
  size: number;
  mimeType?: string;
  date?: string;
  desc?: string;
  md5?: string;
  sha256?: string; // base64, XEP-0300
  range: boolean;
  methods: string[];
  /** xfer extension: relative path (a/b/name) when sent from a folder; `name` is then flattened */
  path?: string;
}

export interface OfferAnswer {
  method: string;
  rangeOffset?: number;
}

export function buildOffer(o: FileOffer): Element {
  return xml(
    'si',
    { xmlns: NS.si, id: o.sid, profile: NS.siFile, 'mime-type': o.mimeType ?? 'application/octet-stream' },
    xml(
      'file',
      { xmlns: NS.siFile, name: o.name, size: o.size, date: o.date, hash: o.md5 },
      o.desc ? xml('desc', {}, o.desc) : null,
      o.range ? xml('range') : null,
      o.sha256 ? xml('hash', { xmlns: NS.hashes, algo: 'sha-256' }, o.sha256) : null,
      o.path ? xml('path', { xmlns: NS.xferPath }, o.path) : null,
    ),
    xml(
      'feature',
      { xmlns: NS.featureNeg },
      xml(
        'x',
        { xmlns: NS.data, type: 'form' },
        xml('field', { var: 'stream-method', type: 'list-single' }, ...o.methods.map((m) => xml('option', {}, xml('value', {}, m)))),
      ),
    ),
  );
}

export type OfferParse =
  | { ok: true; offer: FileOffer }
  | { ok: false; condition: 'bad-request' | 'bad-profile' | 'no-valid-streams'; reason: string };

const DECIMAL = /^[0-9]{1,15}$/;

export function parseOffer(si: Element): OfferParse {
  if (si.attrs.profile !== NS.siFile) return { ok: false, condition: 'bad-profile', reason: `profile ${si.attrs.profile ?? '(none)'}` };
  const sid = si.attrs.id;
  if (!sid) return { ok: false, condition: 'bad-request', reason: 'missing sid' };
  const file = si.getChild('file', NS.siFile);
  if (!file) return { ok: false, condition: 'bad-request', reason: 'missing <file/>' };
  const name = file.attrs.name;
  if (name === undefined) return { ok: false, condition: 'bad-request', reason: 'missing file name' };
  const sizeText = file.attrs.size ?? '';
  if (!DECIMAL.test(sizeText)) return { ok: false, condition: 'bad-request', reason: `bad size '${sizeText.slice(0, 32)}'` };
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return { ok: false, condition: 'bad-request', reason: 'size too large' };
  const sha = file.getChildren('hash', NS.hashes).find((h) => h.attrs.algo === 'sha-256');
  const methods = parseMethodForm(si);
  if (methods.length === 0) return { ok: false, condition: 'no-valid-streams', reason: 'no stream methods offered' };
  const md5 = file.attrs.hash;
  return {
    ok: true,
    offer: {
      sid,
      name,
      size,
      mimeType: si.attrs['mime-type'],
      date: file.attrs.date,
      desc: file.getChildText('desc') ?? undefined,
      md5: md5 && /^[0-9a-fA-F]{32}$/.test(md5) ? md5.toLowerCase() : undefined,
      sha256: sha ? sha.text().trim() : undefined,
      range: !!file.getChild('range'),
      methods,
      path: file.getChildText('path', NS.xferPath) ?? undefined,
    },
  };
}

function parseMethodForm(si: Element): string[] {
  const x = si.getChild('feature', NS.featureNeg)?.getChild('x', NS.data);
  const field = x?.getChildren('field').find((f) => f.attrs.var === 'stream-method');
  if (!field) return [];
  return field.getChildren('option').map((o) => o.getChildText('value') ?? '').filter(Boolean);
}

export function buildAnswer(a: OfferAnswer): Element {
  return xml(
    'si',
    { xmlns: NS.si },
    a.rangeOffset ? xml('file', { xmlns: NS.siFile }, xml('range', { offset: a.rangeOffset })) : null,
    xml(
      'feature',
      { xmlns: NS.featureNeg },
      xml('x', { xmlns: NS.data, type: 'submit' }, xml('field', { var: 'stream-method' }, xml('value', {}, a.method))),
    ),
  );
}

export function parseAnswer(si: Element | undefined): OfferAnswer | undefined {
  if (!si) return undefined;
  const field = si
    .getChild('feature', NS.featureNeg)
    ?.getChild('x', NS.data)
    ?.getChildren('field')
    .find((f) => f.attrs.var === 'stream-method');
  const method = field?.getChildText('value');
  if (!method) return undefined;
  const range = si.getChild('file', NS.siFile)?.getChild('range');
  const off = range?.attrs.offset;
  return { method, rangeOffset: off && DECIMAL.test(off) ? Number(off) : undefined };
}

/** The app-specific condition element XEP-0095 §4 defines for errors. */
export function siCondition(name: 'no-valid-streams' | 'bad-profile'): Element {
  return xml(name, { xmlns: NS.si });
}
