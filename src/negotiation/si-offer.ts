// Sender half of XEP-0095/0096: offer one file with a list of stream methods and read which one
// the receiver picked (SI lets it pick exactly one).
import { randomBytes } from 'node:crypto';
import { errors } from '../errors.js';
import { NS } from '../protocol/ns.js';
import { buildOffer, parseAnswer, type FileOffer, type OfferAnswer } from '../protocol/si.js';
import { StanzaError } from '../protocol/stanza-error.js';
import type { Session } from '../xmpp/session.js';
import { fromOfferError } from '../wire-errors.js';

export const newSid = () => `xfer-${randomBytes(12).toString('hex')}`;

export async function offerFile(session: Session, peer: string, offer: FileOffer, timeoutMs: number): Promise<OfferAnswer> {
  let res;
  try {
    res = await session.iq(peer, 'set', buildOffer(offer), timeoutMs);
  } catch (err) {
    if (err instanceof StanzaError) throw fromOfferError(err.info, peer, 'si');
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
