// Safe defaults (issue #6, item 10) not covered elsewhere: no credentials over an unencrypted
// stream, no password in any output (even with debug logging), and temporary listeners bound
// only to the advertised address and closed as soon as their method is over.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { randomFile, receiver, tempDir, xfer } from '../helpers/cli.js';
import { jidOf, passwordOf } from '../helpers/fixture.js';
import { rawPeer } from '../helpers/raw-peer.js';
import { NS } from '../../src/protocol/ns.js';
import { buildInfoResult } from '../../src/protocol/disco.js';
import { buildAnswer, parseOffer } from '../../src/protocol/si.js';
import { parseStreamhosts } from '../../src/protocol/bytestreams.js';
import { parseIqOob } from '../../src/protocol/oob.js';
import { replyError, type Session } from '../../src/xmpp/session.js';

const TX = 'ned';
const RX = 'oli';

/** Resolves true when a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

describe('safe defaults', () => {
  it('a server without STARTTLS gets no credentials, not even for PLAIN', async () => {
    let seen = '';
    const fake = net.createServer((s) => {
      s.on('data', (d) => {
        seen += d.toString();
        if (seen.includes('<stream:stream') && !s.writableEnded) {
          s.write(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='f' from='localhost' version='1.0'>" +
              "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
          );
        }
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const port = (fake.address() as net.AddressInfo).port;
      const r = await xfer(TX, ['send', randomFile(tempDir(), 'x', 10), jidOf(RX)], { server: `127.0.0.1:${port}` }).done;
      assert.equal(r.code, 5, r.stderr);
      assert.equal(r.events.find((e) => e.event === 'error').code, 'ETLS');
      assert.ok(!seen.includes('<auth'), 'no SASL auth was attempted');
      assert.ok(!seen.includes(Buffer.from(`\0${TX}\0${passwordOf(TX)}`).toString('base64')) && !seen.includes(passwordOf(TX)));
    } finally {
      fake.close();
    }
  });

  it('the password appears in no output, also with debug logging on', async () => {
    const debug = { NODE_DEBUG: 'xfer:*' };
    const out = tempDir();
    const rx = await receiver(RX, ['-o', out, '--from', jidOf(TX), '--once', '--timeout', '30']);
    const ok = await xfer(TX, ['send', randomFile(tempDir(), 'p.bin', 1000), jidOf(RX), '--methods', 'ibb'], { env: debug }).done;
    const bad = await xfer(TX, ['send', randomFile(tempDir(), 'p.bin', 10), jidOf(RX)], { env: { ...debug, XFER_PASSWORD: 'wrong-horse-battery' } }).done;
    const r = await rx.done;
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(bad.code, 3);
    assert.match(ok.stderr, /XFER:/, 'debug logging was on');
    for (const [text, secret] of [
      [ok.stdout + ok.stderr, passwordOf(TX)],
      [bad.stdout + bad.stderr, 'wrong-horse-battery'],
      [r.stdout + r.stderr, passwordOf(RX)],
    ] as const) {
      assert.ok(!text.includes(secret), 'password printed');
      assert.ok(!text.includes(Buffer.from(secret).toString('base64')), 'password printed in base64');
    }
  });

  describe('temporary listeners', () => {
    let raw: Session;
    const checks: Array<[string, boolean]> = [];
    let s5bPort = 0;
    let httpPort = 0;
    before(async () => {
      raw = await rawPeer(RX);
      raw.handleIq('get', NS.discoInfo, 'query', () =>
        buildInfoResult({ identities: [{ category: 'client', type: 'pc' }], features: [NS.si, NS.siFile, NS.bytestreams, NS.iqOob, NS.ibb] }),
      );
      // Offer 1 (SOCKS5) is accepted and then fails; offer 2 (OOB) likewise; offer 3 is declined.
      // Each step checks that the previous method's listener is already gone.
      raw.handleIq('set', NS.si, 'si', async ({ child }) => {
        const p = parseOffer(child);
        if (!p.ok) throw replyError('modify', 'bad-request');
        if (s5bPort) checks.push(['SOCKS5 streamhost closed once SOCKS5 failed', !(await accepts('127.0.0.1', s5bPort))]);
        if (httpPort) checks.push(['HTTP server closed once OOB failed', !(await accepts('127.0.0.1', httpPort))]);
        if (p.offer.methods.includes(NS.bytestreams)) return buildAnswer({ method: NS.bytestreams });
        if (p.offer.methods.includes(NS.iqOob)) return buildAnswer({ method: NS.iqOob });
        throw replyError('cancel', 'forbidden', 'Offer Declined');
      });
      raw.handleIq('set', NS.bytestreams, 'query', async ({ child }) => {
        const h = parseStreamhosts(child)!.hosts.find((x) => x.host === '127.0.0.1')!;
        s5bPort = h.port;
        checks.push(['streamhost listening while SOCKS5 runs', await accepts('127.0.0.1', h.port)]);
        checks.push(['streamhost not reachable on another local address', !(await accepts('127.0.0.2', h.port))]);
        throw replyError('cancel', 'item-not-found');
      });
      raw.handleIq('set', NS.iqOob, 'query', async ({ child }) => {
        const url = new URL(parseIqOob(child)!.url);
        httpPort = Number(url.port);
        checks.push(['HTTP server listening while OOB runs', await accepts(url.hostname, httpPort)]);
        checks.push(['HTTP server not reachable on another local address', !(await accepts('127.0.0.2', httpPort))]);
        throw replyError('cancel', 'not-acceptable', 'no thanks');
      });
    });
    after(() => raw.close());

    it('are bound to the advertised address only and closed when their method is over', async () => {
      const r = await xfer(TX, ['send', randomFile(tempDir(), 'l.bin', 1000), raw.jid, '--no-proxy']).done;
      assert.notEqual(r.code, 0);
      assert.ok(s5bPort && httpPort, 'both listeners were offered');
      assert.deepEqual(checks.filter(([, ok]) => !ok).map(([what]) => what), []);
      assert.equal(checks.length, 7); // 2 + 2 while listening, 1 + 2 at the next offers
    });
  });
});
