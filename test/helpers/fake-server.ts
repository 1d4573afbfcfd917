// A scripted XMPP server on loopback for what a real server will not do on request: here, a
// server that takes the SCRAM exchange and then sends a wrong server signature in <success/>
// (as a server that does not know the password, i.e. an impostor, would have to). Speaks just
// enough RFC 6120: stream header, STARTTLS with the fixture's certificate, SASL.
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='fake' from='localhost' version='1.0'>";

export async function wrongSignatureServer(certDir: string): Promise<{ port: number; close: () => void; sawProof: Promise<boolean> }> {
  const cert = readFileSync(path.join(certDir, 'cert.pem'));
  const key = readFileSync(path.join(certDir, 'key.pem'));
  let proofSeen!: (v: boolean) => void;
  const sawProof = new Promise<boolean>((r) => (proofSeen = r));
  const server = net.createServer((raw) => {
    raw.on('error', () => {});
    let buf = '';
    const onPlain = (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.includes('<stream:stream') && !buf.includes('<starttls')) {
        raw.write(`${HEADER}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`);
        buf = buf.slice(buf.indexOf('<stream:stream') + 1);
      }
      if (buf.includes('<starttls')) {
        raw.off('data', onPlain);
        raw.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", () => secure(raw));
      }
    };
    raw.on('data', onPlain);
  });
  const secure = (raw: net.Socket) => {
    const s = new tls.TLSSocket(raw, { isServer: true, key, cert });
    s.on('error', () => {});
    let buf = '';
    let clientFirstBare = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.includes('<stream:stream')) {
        buf = '';
        s.write(`${HEADER}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256</mechanism></mechanisms></stream:features>`);
      }
      const auth = /<auth [^>]*>([^<]*)<\/auth>/.exec(buf);
      if (auth) {
        buf = '';
        clientFirstBare = Buffer.from(auth[1]!, 'base64').toString('utf8').replace(/^n,,/, '');
        const cnonce = /r=([^,]*)/.exec(clientFirstBare)![1];
        const first = `r=${cnonce}${randomBytes(9).toString('base64')},s=${randomBytes(16).toString('base64')},i=4096`;
        s.write(`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(first).toString('base64')}</challenge>`);
      }
      const resp = /<response [^>]*>([^<]*)<\/response>/.exec(buf);
      if (resp) {
        buf = '';
        proofSeen(/,p=/.test(Buffer.from(resp[1]!, 'base64').toString('utf8')));
        // A signature of the right length that no one who knows the password would send.
        const final = `v=${randomBytes(32).toString('base64')}`;
        s.write(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(final).toString('base64')}</success>`);
      }
    });
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close(), sawProof };
}
