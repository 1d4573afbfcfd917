// SCRAM-SHA-256 / SCRAM-SHA-1 (RFC 5802, RFC 7677) and PLAIN (RFC 4616) as saslmechanisms-style
// classes for @xmpp/sasl. Why not xmpp.js's own: its SCRAM-SHA-1 derives the key with 4096-10000
// awaited WebCrypto HMAC calls (~1 s of CPU per login here) and it has no SCRAM-SHA-256;
// node:crypto's pbkdf2Sync does the same derivation in about 2 ms.
//
// @xmpp/sasl moves challenges and responses through btoa/atob, i.e. as "binary strings" whose
// char codes are bytes: everything here converts at that boundary (UTF-8 passwords included).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ChannelBinding {
  type: 'tls-exporter' | 'tls-unique';
  data: Buffer;
}
type Creds = { username: string; password: string; cb?: ChannelBinding; serverOffersPlus?: boolean };

/**
 * SASLprep (RFC 4013, the stringprep profile SCRAM and PLAIN use), reduced to what a password or
 * user name can carry: non-ASCII spaces become a space, "mapped to nothing" characters go, NFKC,
 * and control characters are refused (as the profile prohibits them).
 */
export function saslprep(s: string): string {
  const out = s
    .replace(/[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g, ' ')
    .replace(/[\u00ad\u034f\u1806\u180b-\u180d\u200c\u200d\u2060\ufe00-\ufe0f\ufeff]/g, '')
    .normalize('NFKC');
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufff9-\ufffd]/.test(out)) throw new Error('SASLprep: the password or user name contains a control character');
  return out;
}
const toBin = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const fromBin = (s: string) => Buffer.from(s, 'latin1');

function saslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function scram(hash: 'sha256' | 'sha1', mechName: string, plus: boolean) {
  return class Scram {
    name = mechName;
    // RFC 5802 §6 GS2 header: "p=TYPE" binds to the TLS connection (-PLUS); "y" says we could
    // have bound but the server offered no -PLUS mechanism (a downgrade then shows); "n" never.
    private gs2 = 'n,,';
    private cbData: Buffer = Buffer.alloc(0);
    clientFirst = true;
    private step = 0;
    private nonce = randomBytes(18).toString('base64');
    private clientFirstBare = '';
    private serverFirst = '';
    private serverSignature?: Buffer;

    response(cred: Creds): string {
      if (this.step === 0) {
        this.step = 1;
        if (plus) {
          if (!cred.cb) throw new Error(`${mechName} without a TLS channel binding`);
          this.gs2 = `p=${cred.cb.type},,`;
          this.cbData = cred.cb.data;
        } else if (cred.cb && !cred.serverOffersPlus) this.gs2 = 'y,,'; // (cb is only passed when we could bind)
        this.clientFirstBare = `n=${saslName(saslprep(cred.username))},r=${this.nonce}`;
        return toBin(`${this.gs2}${this.clientFirstBare}`);
      }
      if (this.step === 2) {
        this.step = 3;
        const attrs = parseAttrs(this.serverFirst);
        const r = attrs.get('r') ?? '';
        const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
        const iter = Number(attrs.get('i'));
        if (!r.startsWith(this.nonce) || !Number.isInteger(iter) || iter < 1 || salt.length === 0) {
          throw new Error('SCRAM: malformed server-first-message');
        }
        const withoutProof = `c=${Buffer.concat([Buffer.from(this.gs2, 'utf8'), this.cbData]).toString('base64')},r=${r}`;
        const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
        const salted = pbkdf2Sync(Buffer.from(saslprep(cred.password), 'utf8'), salt, iter, hashLen(hash), hash);
        const clientKey = hmac(hash, salted, 'Client Key');
        const storedKey = createHash(hash).update(clientKey).digest();
        const signature = hmac(hash, storedKey, authMessage);
        const proof = Buffer.alloc(clientKey.length);
        for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
        this.serverSignature = hmac(hash, hmac(hash, salted, 'Server Key'), authMessage);
        return toBin(`${withoutProof},p=${proof.toString('base64')}`);
      }
      return '';
    }

    challenge(chal: string): this {
      const text = fromBin(chal).toString('utf8');
      if (this.step === 1) {
        this.serverFirst = text;
        this.step = 2;
      } else if (this.step === 3) {
        // server-final-message arriving as a challenge (some servers): check it now.
        this.verifyFinal(text);
      }
      return this;
    }

    /** `required`: this is the end of the exchange, so a missing signature is a failure too. */
    verifyFinal(text: string, required = false): void {
      if (this.verified) return;
      const attrs = parseAttrs(text);
      if (attrs.has('e')) throw new Error(`SCRAM: server error ${attrs.get('e')}`);
      const v = attrs.get('v');
      if (!v || !this.serverSignature) {
        if (required) throw new Error('SCRAM: no server signature');
        return;
      }
      const got = Buffer.from(v, 'base64');
      if (got.length !== this.serverSignature.length || !timingSafeEqual(got, this.serverSignature)) {
        throw new Error('SCRAM: server signature mismatch');
      }
      this.verified = true;
    }

    private verified = false;
  };
}

function hashLen(h: string): number {
  return h === 'sha256' ? 32 : 20;
}

function hmac(hash: string, key: Buffer, data: string): Buffer {
  return createHmac(hash, key).update(data, 'utf8').digest();
}

function parseAttrs(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

export const ScramSha256 = scram('sha256', 'SCRAM-SHA-256', false);
export const ScramSha1 = scram('sha1', 'SCRAM-SHA-1', false);
export const ScramSha256Plus = scram('sha256', 'SCRAM-SHA-256-PLUS', true);
export const ScramSha1Plus = scram('sha1', 'SCRAM-SHA-1-PLUS', true);
for (const [m, n] of [[ScramSha256, 'SCRAM-SHA-256'], [ScramSha1, 'SCRAM-SHA-1'], [ScramSha256Plus, 'SCRAM-SHA-256-PLUS'], [ScramSha1Plus, 'SCRAM-SHA-1-PLUS']] as const) (m as any).prototype.name = n;

export class Plain {
  name = 'PLAIN';
  clientFirst = true;
  response(cred: Creds): string {
    return toBin(`\0${saslprep(cred.username)}\0${saslprep(cred.password)}`);
  }
  challenge(): this {
    return this;
  }
}
(Plain as any).prototype.name = 'PLAIN';
