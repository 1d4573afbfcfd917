// SASL for xfer's session: SCRAM-SHA-256(-PLUS), SCRAM-SHA-1(-PLUS), PLAIN over TLS only, with the
// SCRAM server signature verified and TLS channel binding when the server offers a -PLUS mechanism.
//
// @xmpp/sasl drops the payload of <success/>; SCRAM's server-final-message is in it, and without
// checking it the "mutual" in mutual authentication is missing. So: keep the mechanism it creates
// and the <success/> it gets, and verify after it is done.
import type { TLSSocket } from 'node:tls';
import _sasl from '@xmpp/sasl';
import SASLFactory from 'saslmechanisms';
import type { Element } from '@xmpp/xml';
import { errors } from '../errors.js';
import { debug } from '../log.js';
import { Plain, ScramSha1, ScramSha1Plus, ScramSha256, ScramSha256Plus, type ChannelBinding } from './scram.js';

const log = debug('xfer:xmpp');
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/**
 * The binding of this TLS connection (RFC 9266 tls-exporter for TLS 1.3, RFC 5929 tls-unique
 * below it), or undefined when there is none to offer.
 */
export function channelBinding(tls: TLSSocket | undefined): ChannelBinding | undefined {
  if (!tls || typeof tls.getProtocol !== 'function') return undefined;
  if (tls.getProtocol() === 'TLSv1.3') return { type: 'tls-exporter', data: tls.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)) }; // TLS 1.3: an empty context is no context
  const finished = tls.getFinished();
  return finished ? { type: 'tls-unique', data: finished } : undefined;
}

export function installSasl(streamFeatures: unknown, creds: { username: string; password: string }): void {
  const factory = new SASLFactory();
  // Preference order: with channel binding first (it ties the login to this TLS connection).
  for (const m of [ScramSha256Plus, ScramSha1Plus, ScramSha256, ScramSha1, Plain]) factory.use(m);
  let mech: any;
  const create = factory.create.bind(factory);
  factory.create = (names: string[]) => (mech = create(names));
  _sasl({ streamFeatures, saslFactory: factory }, async (done: any, mechanisms: string[], _fast: unknown, e: any) => {
    // STARTTLS comes first in stream-features order; reaching SASL without it means the server
    // did not offer TLS. No credentials cross an unencrypted stream.
    if (!e.isSecure()) throw errors.tls('server did not offer STARTTLS; refusing to authenticate over an unencrypted stream');
    const cb = channelBinding(e.socket?.socket);
    // -PLUS only with a binding to give; "y" tells a server that offered none that we could have.
    const usable = mechanisms.filter((m) => !m.endsWith('-PLUS') || cb);
    log('sasl mechanisms %o, channel binding %s', mechanisms, cb?.type ?? 'none');
    let success: string | undefined;
    const onElement = (el: Element) => {
      if (el.name === 'success' && el.attrs.xmlns === NS_SASL) success = el.text();
    };
    e.on('element', onElement);
    try {
      await done({ ...creds, cb, serverOffersPlus: mechanisms.some((m) => m.endsWith('-PLUS')) }, usable[0]);
    } finally {
      e.off('element', onElement);
    }
    if (typeof mech?.verifyFinal === 'function') {
      try {
        mech.verifyFinal(Buffer.from(success ?? '', 'base64').toString('utf8'), true);
      } catch (err) {
        throw errors.auth(`the server could not prove it knows the password (${(err as Error).message}): not continuing`);
      }
    }
  });
}
