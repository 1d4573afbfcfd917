// Sender half of XEP-0095/0096: offer one file with a list of stream methods and read which one
// the receiver picked (SI lets it pick exactly one).
import { randomBytes } from 'node:crypto';
import { errors } from '../errors.js';
import { NS } from '../protocol/ns.js';
import { buildOffer, parseAnswer, type FileOffer, type OfferAnswer } from '../protocol/si.js';
import { StanzaError } from '../protocol/stanza-error.js';
import type { Session } from '../xmpp/session.js';

export const newSid = () => `xfer-${randomBytes(12).toString('hex')}`;

export async function offerFile(session: Session, peer: string, offer: FileOffer, timeoutMs: number): Promise<OfferAnswer> {
  let res;
  try {
    res = await session.iq(peer, 'set', buildOffer(offer), timeoutMs);
  } catch (err) {
    if (err instanceof StanzaError) {
      const { condition, app, text } = err.info;
      if (app?.name === 'no-valid-streams') throw errors.noMethod(`${peer} supports none of the offered methods (${offer.methods.join(', ')})`);
      if (app?.name === 'bad-profile') throw errors.peerNoSi(`${peer} does not support the file-transfer profile`);
      if (condition === 'forbidden' || condition === 'not-acceptable') throw errors.declined(`${peer} declined${text ? `: ${text}` : ''}`);
      if (condition === 'service-unavailable' || condition === 'feature-not-implemented') throw errors.peerNoSi(`${peer} does not support SI file transfer`);
      if (condition === 'recipient-unavailable' || condition === 'item-not-found') throw errors.peerOffline(`${peer} went offline`);
      throw errors.transfer(`offer failed: ${err.message}`);
    }
    if ((err as any)?.code === 'ETIMEOUT') throw errors.timeout(`${peer} did not answer the offer within ${Math.round(timeoutMs / 1000)} s`);
    throw err;
  }
  const answer = parseAnswer(res.getChild('si', NS.si));
  if (!answer) throw errors.protocol(`${peer} accepted without choosing a stream method`);
  if (!offer.methods.includes(answer.method)) throw errors.protocol(`${peer} chose a method that was not offered: ${answer.method}`);
  if (answer.rangeOffset !== undefined && (answer.rangeOffset < 0 || answer.rangeOffset > offer.size)) {
    throw errors.protocol(`${peer} asked for an impossible range offset ${answer.rangeOffset}`);
  }
  return answer;
}
