// Who may send to `xfer receive`: the same policy for SI offers, Jingle sessions and links.
import xml from '@xmpp/xml';
import { NS } from '../protocol/ns.js';
import type { Session } from '../xmpp/session.js';
import { bare } from './discovery.js';

/**
 * With --from: exactly those JIDs (a bare JID allows all its resources).
 * Without: the account's roster contacts and the account itself (its other resources).
 */
export async function allowPolicy(session: Session, from: string[]): Promise<(jid: string) => boolean> {
  if (from.length > 0) {
    const list = from.map((j) => j.toLowerCase());
    return (jid) => {
      const j = jid.toLowerCase();
      return list.some((a) => (a.includes('/') ? a === j : a === bare(j)));
    };
  }
  const contacts = new Set<string>([session.bare.toLowerCase()]);
  try {
    const res = await session.iq(undefined, 'get', xml('query', { xmlns: NS.roster }), 10000);
    for (const item of res.getChild('query', NS.roster)?.getChildren('item') ?? []) {
      const sub = item.attrs.subscription;
      if (item.attrs.jid && (sub === 'both' || sub === 'from' || sub === 'to')) contacts.add(item.attrs.jid.toLowerCase());
    }
  } catch {
    // No roster: only the account itself.
  }
  return (jid) => contacts.has(bare(jid));
}
