// Failures on the wire <-> XferError, in one place: Jingle <reason/>s both ways, and the stanza
// error conditions a peer answers an offer with. Tested as a table (test/unit/wire-errors).
import { errors, toXferError, type XferError } from './errors.js';
import type { Reason } from './protocol/jingle.js';
import type { StanzaErrorInfo } from './protocol/stanza-error.js';

/** The iq error a peer answers an offer with (SI <si/> or Jingle session-initiate). */
export function fromOfferError(e: StanzaErrorInfo, peer: string, protocol: 'si' | 'jingle'): XferError {
  const { condition, app, text } = e;
  const name = protocol === 'si' ? 'SI file transfer' : 'Jingle file transfer';
  if (app?.name === 'no-valid-streams') return errors.noMethod(`${peer} supports none of the offered methods`);
  if (app?.name === 'bad-profile') return errors.peerNoSi(`${peer} does not support the file-transfer profile`);
  if (condition === 'forbidden' || condition === 'not-acceptable') return errors.declined(`${peer} declined${text ? `: ${text}` : ''}`);
  if (condition === 'feature-not-implemented') return errors.peerNoSi(`${peer} does not support ${name}`);
  // Offers go only to a resource whose disco#info listed the feature: service-unavailable is then
  // what the server answers for a resource that has gone (RFC 6121 §8.5.3.2.1), not a lack of it.
  if (condition === 'service-unavailable' || condition === 'recipient-unavailable' || condition === 'item-not-found') return errors.peerOffline(`${peer} went offline`);
  return errors.transfer(`offer failed: ${condition}${app ? `/${app.name}` : ''}${text ? `: ${text}` : ''}`);
}

/** A peer's session-terminate reason, as the error that ends our side of the transfer. */
export function fromReason(condition: string, text: string | undefined, peer: string): XferError {
  const why = text ? `: ${text}` : '';
  switch (condition) {
    case 'decline':
      return errors.declined(`${peer} declined${why}`);
    case 'busy':
      return errors.declined(`${peer} is busy${why}`);
    case 'cancel':
    case 'gone':
      return errors.transfer(`${peer} cancelled the transfer${why}`);
    case 'timeout':
    case 'expired':
      return errors.timeout(`${peer} timed out${why}`);
    case 'media-error':
      return errors.integrity(`${peer} rejected the file: it did not match its checksum${why}`);
    case 'security-error':
      return errors.protocol(`${peer} ended the session for security reasons${why}`);
    case 'unsupported-transports':
    case 'failed-transport':
    case 'connectivity-error':
      return errors.transfer(`${peer}: no transport worked (${condition})${why}`);
    case 'unsupported-applications':
      return errors.peerNoSi(`${peer} does not support Jingle file transfer${why}`);
    case 'failed-application':
      return errors.peerFailed(`${peer} could not take the file${why}`);
    default:
      return errors.transfer(`${peer} ended the session: ${condition}${why}`);
  }
}

/** The reason we end a session with, for the error that ended it on our side. */
export function toReason(err: XferError): Reason {
  switch (err.code) {
    case 'ECANCELLED':
      return 'cancel';
    case 'ESTALL':
    case 'ETIMEOUT':
      return 'timeout';
    case 'EINTEGRITY':
      return 'media-error';
    case 'ETRANSFER':
    case 'ETRUNCATED':
    case 'ENOMETHOD':
      return 'failed-transport';
    case 'EDECLINED':
      return 'decline';
    case 'EFILE':
    case 'EPEERFAILED':
      return 'failed-application';
    default:
      return 'failed-application';
  }
}

/**
 * What ends a transfer that failed while its signal was also aborted. A peer that goes offline
 * right after it told us why (a terminate, a reset after a failed write, an error reply) ended
 * with that verdict, not with "went offline": keep the verdict. Any other abort (Ctrl-C, a
 * stall, the peer vanishing mid-stream) is the reason.
 */
export function verdictOrAbort(caught: unknown, signal: AbortSignal): XferError {
  const err = toXferError(caught);
  if (!signal.aborted || caught === signal.reason) return toXferError(signal.aborted ? signal.reason : caught);
  const reason = toXferError(signal.reason);
  if (reason.code === 'EPEEROFFLINE' && VERDICTS.has(err.code)) return err;
  return reason;
}

const VERDICTS = new Set(['ETRANSFER', 'EPEERFAILED', 'EINTEGRITY', 'EDECLINED', 'EPROTOCOL', 'EFILE']);
