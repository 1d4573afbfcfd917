// Golden kinds beyond SI/IBB/disco: XEP-0065 bytestreams, XEP-0066 iq:oob, and Jingle (XEP-0166
// envelope, XEP-0234 file and checksum, XEP-0260 and XEP-0261 transports).
import { buildStreamhosts, buildUsed, parseStreamhosts, parseUsed } from '../../src/protocol/bytestreams.js';
import { buildIqOob, parseIqOob } from '../../src/protocol/oob.js';
import { buildJingle, parseJingle } from '../../src/protocol/jingle.js';
import { buildChecksum, buildDescription, parseChecksum, parseDescription, sha256Of } from '../../src/protocol/jingle-ft.js';
import { buildIbbTransport, buildS5b, parseIbbTransport, parseS5b } from '../../src/protocol/jingle-transports.js';

const ns = (el: any) => (el ? `${el.name} ${el.attrs.xmlns}` : undefined);

export const parsers: Record<string, { parse: (el: any) => unknown; build?: (v: any) => any }> = {
  'bytestreams-streamhosts': { parse: (el) => parseStreamhosts(el) ?? null, build: (v) => v && buildStreamhosts(v.sid, v.hosts) },
  'bytestreams-used': { parse: (el) => parseUsed(el) ?? null, build: (v) => v && buildUsed('sid', v) },
  'iq-oob': { parse: (el) => parseIqOob(el) ?? null, build: (v) => v && buildIqOob(v) },
  // The envelope: what a negotiator sees of it (payload elements by name and namespace).
  jingle: {
    parse: (el) => {
      const j = parseJingle(el);
      if (!j) return null;
      const c = j.content;
      return { action: j.action, sid: j.sid, initiator: j.initiator, responder: j.responder, reason: j.reason, info: j.info.map(ns), content: c && { creator: c.creator, name: c.name, senders: c.senders, description: ns(c.description), transport: ns(c.transport), security: ns(c.security) } };
    },
  },
  'jingle-file': { parse: (el) => parseDescription(el) ?? null, build: (v) => v && buildDescription(v) },
  // A checksum as verified: the hashes given, and the sha-256 digest xfer checks against.
  'jingle-checksum': {
    parse: (el) => {
      const h = parseChecksum(el);
      return h ? { hashes: h, sha256: sha256Of(h) ?? null } : null;
    },
    // xfer builds checksums with sha-256 alone
    build: (v) => v && Object.keys(v.hashes).length === 1 && v.hashes['sha-256'] && buildChecksum('initiator', 'file', 'sha-256', v.hashes['sha-256']),
  },
  'jingle-s5b': { parse: (el) => parseS5b(el) ?? null, build: (v) => v && buildS5b(v) },
  'jingle-ibb': { parse: (el) => parseIbbTransport(el) ?? null, build: (v) => v && buildIbbTransport(v) },
};
export { buildJingle };
