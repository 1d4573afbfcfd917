// XEP-0066 out-of-band data negotiated in SI, through the fixture Prosody; and a hostile sender
// whose URLs or HTTP server misbehave.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import xml from '@xmpp/xml';
import { listDir, randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { CA_FILE, jidOf } from '../helpers/fixture.js';
import { offer, offerFor, rawPeer } from '../helpers/raw-peer.js';
import { NS } from '../../src/protocol/ns.js';
import { buildIqOob } from '../../src/protocol/oob.js';
import { StanzaError } from '../../src/protocol/stanza-error.js';
import type { Session } from '../../src/xmpp/session.js';

const A = 'victor';
const B = 'walter';

describe('OOB (jabber:iq:oob in SI)', () => {
  const src = tempDir();

  it('transfers a file via SI + OOB', async () => {
    const f = randomFile(src, 'oob-4m.bin', 4 << 20);
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
    const tx = await xfer(A, ['send', f, jidOf(B), '--methods', 'oob']).done;
    const r = await rx.done;
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.events.find((e) => e.event === 'done').method, 'oob');
    assert.equal(await sha256File(path.join(out, 'oob-4m.bin')), await sha256File(f));
  });

  it('200 MiB arrives byte-identical', async () => {
    const f = randomFile(src, 'oob-200m.bin', 200 << 20);
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '120']);
    const tx = await xfer(A, ['send', f, jidOf(B), '--methods', 'oob']).done;
    const r = await rx.done;
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(r.code, 0, r.stderr);
    const done = r.events.find((e) => e.event === 'done');
    console.log(`# OOB 200 MiB: ${(200 / done.seconds).toFixed(0)} MiB/s`);
    assert.equal(await sha256File(path.join(out, 'oob-200m.bin')), await sha256File(f));
  });
});

describe('--strict-hosts', () => {
  it('a URL at a host name is refused (no lookup on a peer\'s word); the sender fails, nothing kept', async () => {
    const out = tempDir();
    const f = randomFile(tempDir(), 'strict.bin', 10_000);
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '30', '--retry-grace', '0', '--strict-hosts']);
    const tx = await xfer(A, ['send', f, jidOf(B), '--methods', 'oob', '--http-host', 'localhost']).done;
    const r = await rx.done;
    assert.notEqual(tx.code, 0);
    assert.notEqual(r.code, 0);
    assert.match(JSON.stringify(r.events), /refusing a URL at localhost/);
    assert.deepEqual(readdirSync(out), []);
  });

  it('an IP literal as close as the server (loopback here) is taken', async () => {
    const out = tempDir();
    const f = randomFile(tempDir(), 'strict-ok.bin', 10_000);
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '30', '--strict-hosts']);
    const tx = await xfer(A, ['send', f, jidOf(B), '--methods', 'oob']).done;
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal((await rx.done).code, 0);
    assert.equal(await sha256File(path.join(out, 'strict-ok.bin')), await sha256File(f));
  });
});

describe('HTTP File Upload (XEP-0363) + jabber:x:oob link', () => {
  it('reaches a recipient who is offline and comes online later', async () => {
    const f = randomFile(tempDir(), 'upload-3m.bin', 3 << 20);
    const OFFLINE = 'zoe';
    const tx = await xfer(A, ['send', f, jidOf(OFFLINE), '--method', 'upload']).done;
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(tx.events.find((e) => e.event === 'done').method, 'upload');
    const out = tempDir();
    // Messages stored while offline go only to a resource with priority >= 0: the user says so.
    const rx = await xfer(OFFLINE, ['receive', '-o', out, '--from', jidOf(A), '--once', '--timeout', '30', '--priority', '0']).done;
    assert.equal(rx.code, 0, rx.stderr);
    const done = rx.events.find((e) => e.event === 'done');
    assert.equal(done.method, 'upload');
    assert.equal(done.verified, 'sha-256');
    assert.equal(await sha256File(path.join(out, 'upload-3m.bin')), await sha256File(f));
  });
});

describe('a good citizen on a real account', () => {
  it('a chat message that arrived while offline still reaches the user\'s own client after xfer receive ran', async () => {
    const USER = 'olga';
    const sender = await rawPeer(A);
    const body = `hello ${Math.random()}`;
    await sender.send(xml('message', { to: jidOf(USER), type: 'chat' }, xml('body', {}, body)));
    await sender.close();
    const rx = await receiver(USER, ['-o', tempDir(), '--from', jidOf(A), '--timeout', '2']);
    await rx.done;
    const client = await rawPeer(USER);
    const got = new Promise<string>((resolve) => client.onStanza((el) => el.name === 'message' && resolve(el.getChildText('body') ?? '')));
    await client.send(xml('presence', {}, xml('priority', {}, '5')));
    assert.equal(await Promise.race([got, new Promise((r) => setTimeout(() => r('(nothing within 5 s)'), 5000))]), body);
    await client.close();
  });

  it('links are not fetched on the roster default alone (only from --from JIDs, or with --links)', async () => {
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--timeout', '4']);
    const me = await rawPeer(B); // the account itself is allowed by the roster default
    await me.send(xml('message', { to: rx.events.find((e) => e.event === 'listening').jid }, xml('x', { xmlns: NS.xOob }, xml('url', {}, 'http://127.0.0.1:1/x.bin'))));
    const r = await rx.done;
    await me.close();
    assert.ok(!r.events.some((e) => e.event === 'offer-received'), JSON.stringify(r.events));
    assert.deepEqual(listDir(out), []);
  });
});

describe('OOB hostile sender', () => {
  let mallory: Session;
  let server: http.Server;
  let port = 0;
  const EVIL = 'mallory';
  before(async () => {
    mallory = await rawPeer(EVIL);
    server = http.createServer((req, res) => {
      if (req.url === '/long') res.writeHead(200, { 'content-length': '20' }).end('01234567890123456789');
      else if (req.url === '/chunked-long') {
        res.writeHead(200);
        res.write('0123456789');
        res.end('0123456789');
      } else if (req.url === '/short') res.writeHead(200, { 'content-length': '5' }).end('01234');
      else if (req.url === '/redirect') res.writeHead(302, { location: `http://127.0.0.2:${port}/ok` }).end();
      else if (req.url === '/500') res.writeHead(500).end();
      else if (req.url === '/stall') res.writeHead(200, { 'content-length': '10' }).write('01234'); // and nothing more
      else res.writeHead(200, { 'content-length': '10' }).end('0123456789');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    await mallory.close();
    server.closeAllConnections();
    server.close();
  });

  it('a legacy jabber:iq:oob set without SI is downloaded and answered after it arrived', async () => {
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--from', jidOf(EVIL), '--once', '--timeout', '20']);
    const to = rx.events.find((e) => e.event === 'listening').jid;
    await mallory.iq(to, 'set', buildIqOob({ url: `http://127.0.0.1:${port}/legacy.txt` }), 15000);
    // the iq result came back: by then the file must already be in place
    assert.deepEqual(readdirSync(out), ['legacy.txt']);
    assert.equal(await sha256File(path.join(out, 'legacy.txt')), createHash('sha256').update('0123456789').digest('hex'));
    const r = await rx.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.events.find((e) => e.event === 'done').verified, 'none');
  });

  it('an https URL is fetched over verified TLS: trusted CA -> the file; unknown CA -> refused, nothing kept', async () => {
    const run = path.dirname(CA_FILE);
    const tlsServer = https.createServer({ cert: readFileSync(CA_FILE), key: readFileSync(path.join(run, 'key.pem')) }, (_req, res) => res.writeHead(200, { 'content-length': '10' }).end('0123456789'));
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
    const url = `https://127.0.0.1:${(tlsServer.address() as net.AddressInfo).port}/tls.txt`;
    try {
      for (const trusted of [true, false]) {
        const out = tempDir();
        const rx = await receiver(B, ['-o', out, '--from', jidOf(EVIL), '--once', '--timeout', trusted ? '20' : '3', '--retry-grace', '0'], undefined, trusted ? { env: { NODE_EXTRA_CA_CERTS: CA_FILE } } : {});
        const to = rx.events.find((e) => e.event === 'listening').jid;
        const res = await mallory.iq(to, 'set', buildIqOob({ url }), 15000).then(() => 'ok', (e) => e);
        const r = await rx.done;
        if (trusted) {
          assert.equal(res, 'ok');
          assert.equal(r.code, 0, r.stderr);
          assert.deepEqual(readdirSync(out), ['tls.txt']);
          assert.equal(await sha256File(path.join(out, 'tls.txt')), createHash('sha256').update('0123456789').digest('hex'));
        } else {
          assert.ok(res instanceof StanzaError, String(res));
          assert.match(JSON.stringify(r.events), /certificate/i);
          assert.deepEqual(readdirSync(out), []);
        }
      }
    } finally {
      tlsServer.close();
    }
  });

  // [label, URL, iq error condition, exit code of the receiver]
  const cases: Array<[string, () => string, string, number?]> = [
    ['a file: URL', () => 'file:///etc/passwd', 'not-acceptable'],
    ['an ftp: URL', () => 'ftp://127.0.0.1/x', 'not-acceptable'],
    ['a body longer than offered (Content-Length)', () => `http://127.0.0.1:${port}/long`, 'not-acceptable'],
    ['a body longer than offered (chunked)', () => `http://127.0.0.1:${port}/chunked-long`, 'not-acceptable'],
    ['a body shorter than offered', () => `http://127.0.0.1:${port}/short`, 'not-acceptable'],
    ['a redirect to another host', () => `http://127.0.0.1:${port}/redirect`, 'not-acceptable'],
    ['HTTP 500', () => `http://127.0.0.1:${port}/500`, 'item-not-found'],
    ['a body that stalls (--stall-timeout 2)', () => `http://127.0.0.1:${port}/stall`, 'item-not-found', 10],
  ];
  for (const [label, url, condition, exit] of cases) {
    it(`${label}: refused with ${condition}, exit non-zero, nothing kept`, async () => {
      const out = tempDir();
      const rx = await receiver(B, ['-o', out, '--from', jidOf(EVIL), '--once', '--timeout', '20', '--retry-grace', '0', '--stall-timeout', '2']);
      const to = rx.events.find((e) => e.event === 'listening').jid;
      const o = offerFor(Buffer.from('0123456789'), { methods: [NS.iqOob] });
      assert.equal((await offer(mallory, to, o))?.method, NS.iqOob);
      const err = await mallory.iq(to, 'set', buildIqOob({ url: url(), sid: o.sid }), 15000).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(err instanceof StanzaError, `expected an error reply, got ${err}`);
      assert.equal(err.condition, condition);
      const r = await rx.done;
      if (exit !== undefined) assert.equal(r.code, exit, JSON.stringify(r.events.filter((e) => e.event !== 'progress')));
      else assert.notEqual(r.code, 0);
      assert.deepEqual(readdirSync(out), []);
    });
  }
});
