// The one mapping between failures on the wire and xfer's error codes (src/wire-errors.ts), as a table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from '../../src/errors.js';
import { fromOfferError, fromReason, toReason, verdictOrAbort } from '../../src/wire-errors.js';

describe('wire errors', () => {
  const reasons: Array<[string, string, number]> = [
    ['decline', 'EDECLINED', 7],
    ['busy', 'EDECLINED', 7],
    ['cancel', 'ETRANSFER', 8],
    ['gone', 'ETRANSFER', 8],
    ['timeout', 'ETIMEOUT', 10],
    ['media-error', 'EINTEGRITY', 9],
    ['security-error', 'EPROTOCOL', 8],
    ['failed-transport', 'ETRANSFER', 8],
    ['unsupported-transports', 'ETRANSFER', 8],
    ['connectivity-error', 'ETRANSFER', 8],
    ['unsupported-applications', 'EPEERNOSI', 6],
    ['failed-application', 'EPEERFAILED', 8],
    ['something-new', 'ETRANSFER', 8],
  ];
  for (const [reason, code, exit] of reasons) {
    it(`Jingle <${reason}/> -> ${code} (exit ${exit})`, () => {
      const e = fromReason(reason, 'why', 'bob@x/y');
      assert.equal(e.code, code);
      assert.equal(e.exitCode, exit);
      assert.match(e.message, /bob@x\/y/);
      assert.match(e.message, /why/);
    });
  }

  const ours: Array<[ReturnType<typeof errors.cancelled>, string]> = [
    [errors.cancelled('x'), 'cancel'],
    [errors.stall('x'), 'timeout'],
    [errors.timeout('x'), 'timeout'],
    [errors.integrity('x'), 'media-error'],
    [errors.transfer('x'), 'failed-transport'],
    [errors.truncated('x'), 'failed-transport'],
    [errors.file('x'), 'failed-application'],
    [errors.protocol('x'), 'failed-application'],
  ];
  for (const [err, reason] of ours) {
    it(`${err.code} -> Jingle <${reason}/>`, () => assert.equal(toReason(err), reason));
  }

  const offers: Array<[{ type: string; condition: string; text?: string; app?: { name: string; xmlns: string } }, string]> = [
    [{ type: 'cancel', condition: 'bad-request', app: { name: 'no-valid-streams', xmlns: 'http://jabber.org/protocol/si' } }, 'ENOMETHOD'],
    [{ type: 'cancel', condition: 'bad-request', app: { name: 'bad-profile', xmlns: 'http://jabber.org/protocol/si' } }, 'EPEERNOSI'],
    [{ type: 'cancel', condition: 'forbidden', text: 'Offer Declined' }, 'EDECLINED'],
    [{ type: 'cancel', condition: 'not-acceptable' }, 'EDECLINED'],
    [{ type: 'cancel', condition: 'service-unavailable' }, 'EPEEROFFLINE'],
    [{ type: 'cancel', condition: 'feature-not-implemented' }, 'EPEERNOSI'],
    [{ type: 'cancel', condition: 'recipient-unavailable' }, 'EPEEROFFLINE'],
    [{ type: 'cancel', condition: 'item-not-found' }, 'EPEEROFFLINE'],
    [{ type: 'wait', condition: 'internal-server-error' }, 'ETRANSFER'],
  ];
  for (const [info, code] of offers) {
    it(`offer answered with ${info.condition}${info.app ? `/${info.app.name}` : ''} -> ${code}`, () => {
      assert.equal(fromOfferError(info, 'bob@x/y', 'si').code, code);
      assert.equal(fromOfferError(info, 'bob@x/y', 'jingle').code, code);
    });
  }

  it('a peer that goes offline right after its verdict: the verdict ends the transfer; any other abort wins', () => {
    const gone = new AbortController();
    gone.abort(errors.peerOffline('bob went offline'));
    assert.equal(verdictOrAbort(errors.integrity('checksum mismatch'), gone.signal).code, 'EINTEGRITY');
    assert.equal(verdictOrAbort(errors.transfer('receiver rejected the file'), gone.signal).code, 'ETRANSFER');
    assert.equal(verdictOrAbort(new Error('socket hang up'), gone.signal).code, 'EPEEROFFLINE');
    const cancelled = new AbortController();
    cancelled.abort(errors.cancelled('interrupted'));
    assert.equal(verdictOrAbort(errors.transfer('stream broke'), cancelled.signal).code, 'ECANCELLED');
    assert.equal(verdictOrAbort(errors.transfer('x'), new AbortController().signal).code, 'ETRANSFER');
  });
});
