// A scripted XMPP server on loopback for what a real server will not do on request: a full SCRAM
// exchange done right or wrong (a wrong server signature, as an impostor that does not know the
// password would have to send), and SCRAM-*-PLUS with TLS channel binding (RFC 9266
// tls-exporter), which the fixture Prosody does not offer. Speaks just enough RFC 6120: stream
// header, STARTTLS with the fixture's certificate, SASL; the connection ends after <success/>.
import net from 'node:net';
import tls from 'node:tls';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='fake' from='localhost' version='1.0'>";

export interface Seen {
  mechanism?: string;
  gs2?: string;
  /** the client's c= matched this connection's channel binding */
  bindingMatched?: boolean;
  /** the client's proof was right for the password */
  proofValid?: boolean;
}

export async function scramServer(certDir: string, o: { password: string; mechanisms: string[]; wrongSignature?: boolean; bindingTypes?: string[] }) {
  const cert = readFileSync(path.join(certDir, 'cert.pem'));
  const key = readFileSync(path.join(certDir, 'key.pem'));
  let report!: (s: Seen) => void;
  const seen = new Promise<Seen>((r) => (report = r));
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
    const st: Seen = {};
    const salt = randomBytes(16);
    const iter = 4096;
    let hash: 'sha256' | 'sha1' = 'sha256';
    let clientFirstBare = '';
    let serverFirst = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.includes('<stream:stream')) {
        buf = '';
        const cb = o.bindingTypes ? `<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>${o.bindingTypes.map((t) => `<channel-binding type='${t}'/>`).join('')}</sasl-channel-binding>` : '';
        s.write(`${HEADER}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${o.mechanisms.map((m) => `<mechanism>${m}</mechanism>`).join('')}</mechanisms>${cb}</stream:features>`);
      }
      const auth = /<auth [^>]*mechanism=["']([^"']+)["'][^>]*>([^<]*)<\/auth>/.exec(buf);
      if (auth) {
        buf = '';
        st.mechanism = auth[1];
        hash = auth[1]!.startsWith('SCRAM-SHA-1') ? 'sha1' : 'sha256';
        const first = Buffer.from(auth[2]!, 'base64').toString('utf8');
        const m = /^([pny](?:=[^,]*)?,[^,]*,)(.*)$/.exec(first)!;
        st.gs2 = m[1];
        clientFirstBare = m[2]!;
        const cnonce = /r=([^,]*)/.exec(clientFirstBare)![1];
        serverFirst = `r=${cnonce}${randomBytes(9).toString('base64')},s=${salt.toString('base64')},i=${iter}`;
        s.write(`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(serverFirst).toString('base64')}</challenge>`);
      }
      const resp = /<response[^>]*>([^<]*)<\/response>/.exec(buf);
      if (resp) {
        buf = '';
        const final = Buffer.from(resp[1]!, 'base64').toString('utf8');
        const c = Buffer.from(/c=([^,]*)/.exec(final)![1]!, 'base64');
        const binding = st.gs2!.startsWith('p=tls-exporter') ? s.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)) : Buffer.alloc(0);
        st.bindingMatched = c.equals(Buffer.concat([Buffer.from(st.gs2!), binding]));
        const withoutProof = final.replace(/,p=[^,]*$/, '');
        const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
        const salted = pbkdf2Sync(Buffer.from(o.password), salt, iter, hash === 'sha256' ? 32 : 20, hash);
        const clientKey = createHmac(hash, salted).update('Client Key').digest();
        const signature = createHmac(hash, createHash(hash).update(clientKey).digest()).update(authMessage).digest();
        const proof = Buffer.from(/p=([^,]*)$/.exec(final)![1]!, 'base64');
        st.proofValid = proof.equals(Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)));
        const serverSig = o.wrongSignature ? randomBytes(signature.length) : createHmac(hash, createHmac(hash, salted).update('Server Key').digest()).update(authMessage).digest();
        s.write(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(`v=${serverSig.toString('base64')}`).toString('base64')}</success>`, () => {
          report(st);
          setTimeout(() => s.destroy(), 50);
        });
      }
    });
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close(), seen };
}
