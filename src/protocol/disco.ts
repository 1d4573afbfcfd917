// XEP-0030 Service Discovery (v2.5) and XEP-0115 Entity Capabilities (v1.6): pure build/parse.
import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export interface Identity {
  category: string;
  type: string;
  name?: string;
}

export interface DiscoInfo {
  identities: Identity[];
  features: string[];
}

export interface DiscoItem {
  jid: string;
  node?: string;
  name?: string;
}

export function buildInfoQuery(node?: string): Element {
  return xml('query', { xmlns: NS.discoInfo, node });
}

export function buildItemsQuery(node?: string): Element {
  return xml('query', { xmlns: NS.discoItems, node });
}

export function buildInfoResult(info: DiscoInfo, node?: string): Element {
  return xml(
    'query',
    { xmlns: NS.discoInfo, node },
    ...info.identities.map((i) => xml('identity', { category: i.category, type: i.type, name: i.name })),
    ...info.features.map((f) => xml('feature', { var: f })),
  );
}

export function parseInfo(query: Element): DiscoInfo {
  return {
    identities: query.getChildren('identity').map((i) => ({
      category: i.attrs.category ?? '',
      type: i.attrs.type ?? '',
      name: i.attrs.name,
    })),
    features: query.getChildren('feature').map((f) => f.attrs.var ?? '').filter(Boolean),
  };
}

export function parseItems(query: Element): DiscoItem[] {
  return query
    .getChildren('item')
    .filter((i) => i.attrs.jid)
    .map((i) => ({ jid: i.attrs.jid as string, node: i.attrs.node, name: i.attrs.name }));
}

/** XEP-0115 §5.1 verification string (no extended forms: xfer publishes none). */
export function capsVer(info: DiscoInfo): string {
  const ids = info.identities
    .map((i) => `${i.category}/${i.type}//${i.name ?? ''}`)
    .sort();
  const features = [...info.features].sort();
  const s = ids.map((i) => `${i}<`).join('') + features.map((f) => `${f}<`).join('');
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

export const CAPS_NODE = 'https://github.com/xfer/xfer';

export function buildCaps(info: DiscoInfo): Element {
  return xml('c', { xmlns: NS.caps, hash: 'sha-1', node: CAPS_NODE, ver: capsVer(info) });
}

export function parseCaps(presence: Element): { node: string; ver: string; hash: string } | undefined {
  const c = presence.getChild('c', NS.caps);
  if (!c || !c.attrs.ver || !c.attrs.node) return undefined;
  return { node: c.attrs.node, ver: c.attrs.ver, hash: c.attrs.hash ?? '' };
}
