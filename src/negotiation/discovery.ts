// Finding each other. The receiver answers disco#info and announces XEP-0115 caps; the sender
// turns a bare user@host into a full JID that supports SI file transfer.
//
// Two fresh accounts are not on each other's roster, so neither sees the other's presence. The
// sender therefore sends directed presence to the bare JID (the server delivers it to every
// available resource, RFC 6121 §8.5.2.1.1); an xfer receiver answers an allowed sender's
// presence with directed presence of its own (once per full JID), and the sender disco#info's
// each resource that shows up. Roster contacts' resources show up through the usual presence
// broadcast and go through the same check.
import { debug } from '../log.js';
import xml, { type Element } from '@xmpp/xml';
import { errors } from '../errors.js';
import { buildCaps, buildInfoQuery, buildInfoResult, parseInfo, CAPS_NODE, type DiscoInfo } from '../protocol/disco.js';
import { NS } from '../protocol/ns.js';
import { parseError, StanzaError } from '../protocol/stanza-error.js';
import type { Session } from '../xmpp/session.js';
import { replyError } from '../xmpp/session.js';

const log = debug('xfer:disco');

export const bare = (jid: string) => jid.split('/')[0]!.toLowerCase();

export function receiverInfo(methods: string[]): DiscoInfo {
  return {
    identities: [{ category: 'client', type: 'pc', name: 'xfer' }],
    // XEP-0300 §3: we verify sha-256 from the offer's <hash/> (so xfer senders may skip md5).
    features: [NS.discoInfo, NS.caps, NS.si, NS.siFile, NS.hashes, NS.hashSha256, ...methods],
  };
}

/** Answer disco#info queries (plain, and for our caps node#ver). */
export function serveDisco(session: Session, info: DiscoInfo): () => void {
  const ver = buildCaps(info).attrs.ver;
  return session.handleIq('get', NS.discoInfo, 'query', ({ child }) => {
    const node = child.attrs.node;
    if (node && node !== `${CAPS_NODE}#${ver}`) throw replyError('cancel', 'item-not-found');
    return buildInfoResult(info, node);
  });
}

export function presence(info: DiscoInfo, to?: string, priority?: number): Element {
  return xml('presence', { to }, priority !== undefined ? xml('priority', {}, String(priority)) : null, buildCaps(info));
}

/** Receiver: answer directed presence from allowed senders so that they can find this resource. */
export function answerPresence(session: Session, info: DiscoInfo, allowed: (jid: string) => boolean): () => void {
  const answered = new Set<string>();
  return session.onStanza((el) => {
    if (el.name !== 'presence') return;
    const from = el.attrs.from;
    if (!from || !from.includes('/') || from === session.jid) return;
    if (el.attrs.type === 'unavailable') {
      answered.delete(from);
      return;
    }
    if (el.attrs.type || answered.has(from) || !allowed(from)) return;
    answered.add(from);
    log('answering presence of %s', from);
    void session.send(presence(info, from)).catch(() => {});
  });
}

export async function discoInfo(session: Session, jid: string, timeoutMs = 10000): Promise<DiscoInfo> {
  const res = await session.iq(jid, 'get', buildInfoQuery(), timeoutMs);
  const q = res.getChild('query', NS.discoInfo);
  return q ? parseInfo(q) : { identities: [], features: [] };
}

const OFFLINE = new Set(['service-unavailable', 'recipient-unavailable', 'item-not-found', 'remote-server-not-found', 'gone']);

function supportsSi(info: DiscoInfo): boolean {
  return info.features.includes(NS.si) && info.features.includes(NS.siFile);
}

export interface Peer {
  jid: string;
  features: string[];
}

/** `usable`: can we send to a resource with these disco features (SI or Jingle, see negotiators/)? */
export async function resolvePeer(session: Session, target: string, ownInfo: DiscoInfo, timeoutMs = 6000, usable: (features: string[]) => boolean = (f) => supportsSi({ identities: [], features: f })): Promise<Peer> {
  if (target.includes('/')) {
    // Directed presence: when we go away, the server tells the peer (RFC 6121 §4.6), so a
    // receiver does not wait for a stall timeout after a sender that died.
    await session.send(presence(ownInfo, target));
    let info: DiscoInfo;
    try {
      info = await discoInfo(session, target, timeoutMs);
    } catch (err) {
      if (err instanceof StanzaError && OFFLINE.has(err.condition)) throw errors.peerOffline(`${target} is not online`);
      if ((err as any)?.code === 'ETIMEOUT') throw errors.peerOffline(`${target} did not answer within ${timeoutMs / 1000} s`);
      throw err;
    }
    if (!usable(info.features)) throw errors.peerNoSi(`${target} supports neither Jingle nor SI file transfer with the chosen methods; 'xfer send --method upload' reaches it through HTTP upload`);
    return { jid: target, features: info.features };
  }
  const want = bare(target);
  return new Promise<Peer>((resolve, reject) => {
    const checked = new Set<string>();
    let lackingSi = 0;
    let settled = false;
    const finish = (err: Error | null, peer?: Peer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      off();
      err ? reject(err) : resolve(peer!);
    };
    const timer = setTimeout(() => {
      finish(
        lackingSi > 0
          ? errors.peerNoSi(`${target} is online but no resource supports Jingle or SI file transfer with the chosen methods; 'xfer send --method upload' reaches it through HTTP upload`)
          : errors.peerOffline(`${target} is offline or not visible (no answer to presence within ${timeoutMs / 1000} s; is 'xfer receive' running and allowing you?)`),
      );
    }, timeoutMs);
    const off = session.onStanza((el) => {
      if (el.name !== 'presence') return;
      // The server answers presence to a domain it cannot reach (a typo, a dead server) or an
      // account that does not exist with an error at once: say so now, not after the timeout.
      if (el.attrs.type === 'error' && bare(el.attrs.from ?? '') === want) {
        const e = parseError(el);
        return finish(errors.peerOffline(`${target} cannot be reached: ${e?.condition ?? 'error'}${e?.text ? ` (${e.text})` : ''}`));
      }
      if (el.attrs.type) return;
      const from = el.attrs.from ?? '';
      if (bare(from) !== want || !from.includes('/') || from === session.jid || checked.has(from)) return;
      checked.add(from);
      discoInfo(session, from, timeoutMs).then(
        (info) => {
          if (usable(info.features)) finish(null, { jid: from, features: info.features });
          else lackingSi++;
        },
        () => {},
      );
    });
    session.send(presence(ownInfo, want)).catch((err) => finish(err));
  });
}
