// A scripted XMPP peer built from xfer's own session and stanza builders, for tests that need a
// sender that misbehaves on purpose (hostile names, bad base64, wrong seq, lying hashes).
import { createHash } from 'node:crypto';
import { connect, type Session } from '../../src/xmpp/session.js';
import { buildOffer, parseAnswer, type FileOffer } from '../../src/protocol/si.js';
import { NS } from '../../src/protocol/ns.js';
import { CA, SERVER, jidOf, passwordOf } from './fixture.js';

export async function rawPeer(user: string): Promise<Session> {
  return connect({ jid: jidOf(user), password: passwordOf(user), server: SERVER, ca: CA });
}

export function offerFor(data: Buffer, over: Partial<FileOffer> = {}): FileOffer {
  return {
    sid: `raw-${Math.random().toString(36).slice(2)}`,
    name: 'raw.bin',
    size: data.length,
    md5: createHash('md5').update(data).digest('hex'),
    sha256: createHash('sha256').update(data).digest('base64'),
    range: false,
    methods: [NS.ibb],
    ...over,
  };
}

export async function offer(s: Session, to: string, o: FileOffer) {
  const res = await s.iq(to, 'set', buildOffer(o), 10000);
  return parseAnswer(res.getChild('si', NS.si));
}
