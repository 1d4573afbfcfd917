// Finding SOCKS5 proxies (XEP-0065 §4): disco#items on our server, disco#info on each item for
// the proxy/bytestreams identity, then ask each proxy for its streamhost address.
import { debug } from '../log.js';
import { buildItemsQuery, parseItems } from '../protocol/disco.js';
import { NS } from '../protocol/ns.js';
import { parseProxyAddress, type StreamHost } from '../protocol/bytestreams.js';
import xml from '@xmpp/xml';
import type { Session } from '../xmpp/session.js';
import { discoInfo } from './discovery.js';

const log = debug('xfer:proxies');

export async function proxyAddress(session: Session, jid: string, timeoutMs = 5000): Promise<StreamHost | undefined> {
  try {
    const res = await session.iq(jid, 'get', xml('query', { xmlns: NS.bytestreams }), timeoutMs);
    return parseProxyAddress(res.getChild('query', NS.bytestreams));
  } catch (err) {
    log('proxy %s: %s', jid, (err as Error).message);
    return undefined;
  }
}

export async function discoverProxies(session: Session, timeoutMs = 5000): Promise<string[]> {
  try {
    const res = await session.iq(session.domain, 'get', buildItemsQuery(), timeoutMs);
    const items = parseItems(res.getChild('query', NS.discoItems)!);
    const found = await Promise.all(
      items.map(async (it) => {
        try {
          const info = await discoInfo(session, it.jid, timeoutMs);
          return info.identities.some((i) => i.category === 'proxy' && i.type === 'bytestreams') ? it.jid : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    return found.filter((j): j is string => !!j);
  } catch (err) {
    log('discovery failed: %s', (err as Error).message);
    return [];
  }
}

const asked = new WeakMap<Session, Map<string, Promise<StreamHost[]>>>();

/**
 * Forced proxies first (--proxy), then discovered ones unless discovery is off. Asked once per
 * session (three round trips through the server, ~100 ms on a stock Prosody): the send command
 * starts it right after login, beside the peer lookup, and every offer of that session shares the
 * answer. An empty answer is not kept, so a receiver that stays connected asks again next time.
 */
export function proxyStreamhosts(session: Session, forced: string[], discover: boolean): Promise<StreamHost[]> {
  const key = `${discover}\0${forced.join('\0')}`;
  let bySession = asked.get(session);
  if (!bySession) asked.set(session, (bySession = new Map()));
  let found = bySession.get(key);
  if (!found) {
    found = lookup(session, forced, discover);
    bySession.set(key, found);
    void found.then((hosts) => hosts.length === 0 && bySession!.delete(key));
  }
  return found;
}

async function lookup(session: Session, forced: string[], discover: boolean): Promise<StreamHost[]> {
  const jids = [...forced, ...(discover ? await discoverProxies(session) : [])];
  const unique = [...new Set(jids)];
  const hosts = await Promise.all(unique.map((j) => proxyAddress(session, j)));
  return hosts.filter((h): h is StreamHost => !!h);
}
