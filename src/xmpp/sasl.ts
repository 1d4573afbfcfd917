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

const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';

/**
 * The binding types the server says it accepts (XEP-0440); without that element, RFC 5929's
 * default for SCRAM, tls-unique (which TLS 1.3 does not have: ejabberd 23.01 offers -PLUS on
 * TLS 1.3 and refuses any binding then).
 */
export function serverBindingTypes(features: Element | undefined): string[] {
  const el = features?.getChild('sasl-channel-binding', NS_SASL_CB);
  return el ? el.getChildren('channel-binding').map((c) => c.attrs.type ?? '').filter(Boolean) : ['tls-unique'];
}

export function installSasl(streamFeatures: unknown, creds: { username: string; password: string }, features: () => Element | undefined): void {
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
    const ours = channelBinding(e.socket?.socket);
    const offersPlus = mechanisms.some((m) => m.endsWith('-PLUS'));
    // -PLUS only with a binding of a type the server takes. GS2 "y" (we could have bound) only
    // when it offered no -PLUS at all: if it did and our types do not fit, "y" would read as a
    // downgrade attack to it, so then "n".
    const cb = ours && serverBindingTypes(features()).includes(ours.type) ? ours : undefined;
    const usable = mechanisms.filter((m) => !m.endsWith('-PLUS') || cb);
    log('sasl mechanisms %o, channel binding %s (server takes %o)', mechanisms, cb?.type ?? 'none', serverBindingTypes(features()));
    let success: string | undefined;
    const onElement = (el: Element) => {
      if (el.name === 'success' && el.attrs.xmlns === NS_SASL) success = el.text();
    };
    e.on('element', onElement);
    try {
      await done({ ...creds, cb: cb ?? (offersPlus ? undefined : ours), serverOffersPlus: offersPlus }, usable[0]);
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
