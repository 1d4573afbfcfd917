// Jingle File Transfer state machines without a server (test/helpers/fake-net.ts): the real
// initiator and responder negotiators, the real IBB endpoint and SOCKS5 sockets on loopback,
// the real incoming lifecycle and file sink. Hostile peers are written with the protocol builders.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import xml from '@xmpp/xml';
import { FakeNet, ibbInitiate } from '../helpers/fake-net.js';
import { receiverOn } from '../helpers/memory-receiver.js';
import { jingleEndpoint } from '../../src/negotiators/jingle/session.js';
import { jingleSender } from '../../src/negotiators/jingle/send.js';
import { siSender } from '../../src/negotiators/si.js';
import { NS } from '../../src/protocol/ns.js';
import { buildJingle, parseJingle } from '../../src/protocol/jingle.js';
import { buildChecksum, buildDescription } from '../../src/protocol/jingle-ft.js';
import { buildIbbTransport } from '../../src/protocol/jingle-transports.js';
import { buildData, buildOpen, buildClose } from '../../src/protocol/ibb.js';
import { StanzaError } from '../../src/protocol/stanza-error.js';
import { raceCandidates } from '../../src/socks5/bytestream.js';
import { unusableHost } from '../../src/net/addresses.js';
import type { XferEvent } from '../../src/report/events.js';
import { sendFile } from '../../src/transfer/outgoing.js';
import type { MethodName, TransportOptions } from '../../src/transports/types.js';
import type { Session } from '../../src/xmpp/session.js';

const A = 'alice@test/a';
const B = 'bob@test/b';
const transport = (o: Partial<TransportOptions> = {}): TransportOptions => ({
  ibbBlockSize: 4096, ibbWindow: 8, stallTimeoutMs: 5000, direct: true, directHosts: [], directPort: 0, httpHosts: [], httpPort: 0, proxies: [], proxyDiscovery: false, ...o,
});
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function payload(size: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'xfer-unit-src-'));
  const file = path.join(dir, 'data.bin');
  const data = randomBytes(size);
  writeFileSync(file, data);
  return { file, data, p: { file, name: 'data.bin', size, mtime: new Date() } };
}

function send(s: Session, features: string[], p: any, methods: MethodName[], t: TransportOptions, events: XferEvent[] = []) {
  return sendFile(s, B, features, p, { methods, negotiators: [jingleSender, siSender], offerTimeoutMs: 5000, transport: t, emit: (e) => events.push(e) }, new AbortController().signal);
}

describe('Jingle negotiators (in memory)', () => {
  for (const method of ['ibb', 's5b'] as const) {
    it(`${method}: the file arrives, verified by the checksum sent after the data`, async () => {
      const net = new FakeNet();
      const [a, b] = [net.session(A), net.session(B)];
      const rx = await receiverOn(b, ['s5b', 'ibb']);
      const { data, p } = await payload(300_007);
      const tx: XferEvent[] = [];
      await send(a, rx.features, p, [method], transport(), tx);
      await rx.incoming.finished;
      const done = rx.events.find((e) => e.event === 'done') as any;
      assert.equal(done.protocol, 'jingle');
      assert.equal(done.method, method);
      assert.equal(done.verified, 'sha-256');
      assert.equal(sha(readFileSync(path.join(rx.out, 'data.bin'))), sha(data));
      assert.equal((tx.find((e) => e.event === 'done') as any).sha256, sha(data));
      // one content, initiator set, the hash after the data: <hash-used/> in the offer, checksum later
      const actions = net.log.filter((x) => x.el.getChild('jingle', NS.jingle)).map((x) => x.el.getChild('jingle', NS.jingle)!);
      assert.equal(actions[0]!.attrs.action, 'session-initiate');
      assert.equal(actions[0]!.attrs.initiator, A);
      assert.ok(actions[0]!.toString().includes('hash-used'));
      assert.ok(actions.some((j) => j.attrs.action === 'session-info' && j.getChild('checksum', NS.jingleFt)));
      assert.equal(actions.at(-1)!.attrs.action, 'session-terminate');
      rx.uninstall();
    });
  }

  it('a file sent before and unchanged since: its checksum comes from the hash cache; a stale entry is refused, never saved', async () => {
    const cache = await mkdtemp(path.join(tmpdir(), 'xfer-unit-cache-'));
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cache;
    try {
      const net = new FakeNet();
      const [a, b] = [net.session(A), net.session(B)];
      const { data, p } = await payload(200_003);
      await new Promise((r) => setTimeout(r, 2100)); // the cache keeps only files settled for 2 s
      const rx = await receiverOn(b, ['ibb']);
      await send(a, rx.features, p, ['ibb'], transport());
      await rx.incoming.finished;
      assert.equal((rx.events.find((e) => e.event === 'done') as any).verified, 'sha-256');
      assert.equal(sha(readFileSync(path.join(rx.out, 'data.bin'))), sha(data));
      rx.uninstall();
      // The cold send stored the digest it computed while sending.
      const file = path.join(cache, 'xfer', 'hashes.json');
      const entries = JSON.parse(readFileSync(file, 'utf8'));
      assert.deepEqual(entries.map((e: any) => e.sha256), [sha(data)]);
      // A wrong digest under the file's key: sent as the checksum (so the cache was used, nothing
      // hashed), and the receiver, which hashes what arrives, refuses the file.
      writeFileSync(file, JSON.stringify([{ ...entries[0], sha256: sha(Buffer.from('not the file')) }]));
      const rx2 = await receiverOn(b, ['ibb']);
      await assert.rejects(send(a, rx2.features, p, ['ibb'], transport()), (e: any) => e.code === 'EPEERFAILED' || e.code === 'EINTEGRITY');
      await rx2.incoming.finished.catch(() => {});
      assert.deepEqual(readdirSync(rx2.out), []);
      rx2.uninstall();
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('SOCKS5 with no reachable candidate on either side: transport-replace to IBB in the same session', async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    const rx = await receiverOn(b, ['s5b', 'ibb'], { transport: { direct: false, directHosts: [], directPort: 0, proxies: [], proxyDiscovery: false } });
    const { data, p } = await payload(50_000);
    const tx: XferEvent[] = [];
    await send(a, rx.features, p, ['s5b', 'ibb'], transport({ directHosts: ['127.0.0.1:1'] }), tx);
    await rx.incoming.finished;
    assert.equal(sha(readFileSync(path.join(rx.out, 'data.bin'))), sha(data));
    assert.deepEqual(tx.filter((e) => e.event === 'method-tried').map((e: any) => e.method), ['s5b', 'ibb']);
    assert.equal(tx.filter((e) => e.event === 'offer').length, 1);
    assert.ok(net.log.some((x) => x.el.getChild('jingle', NS.jingle)?.attrs.action === 'transport-replace'));
    assert.equal((rx.events.find((e) => e.event === 'done') as any).method, 'ibb');
    rx.uninstall();
  });

  it('a peer that answers transport-replace with transport-reject: a clear failure, no hang', async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    const ep = jingleEndpoint(b);
    ep.listen(async (j, from) => {
      const js = ep.open(j.sid, from, j.initiator!, j.content!.name);
      const tsid = j.content!.transport!.attrs.sid;
      setImmediate(async () => {
        await js.send('session-accept', { description: buildDescription({ name: 'x', size: 1, hashes: {}, hashUsed: [] }), transport: xml('transport', { xmlns: NS.jingleS5b, sid: tsid, mode: 'tcp' }) });
        await js.send('transport-info', { transport: xml('transport', { xmlns: NS.jingleS5b, sid: tsid }, xml('candidate-error')) }).catch(() => {});
        await js.next((x) => x.action === 'transport-replace', 5000, new AbortController().signal, 'replace');
        await js.send('transport-reject', {});
      });
    });
    const { p } = await payload(1000);
    const t0 = Date.now();
    await assert.rejects(send(a, [NS.jingle, NS.jingleFt, NS.jingleS5b, NS.jingleIbb], p, ['s5b', 'ibb'], transport({ directHosts: ['127.0.0.1:1'] })), (e: any) => /transport-reject/.test(e.message));
    assert.ok(Date.now() - t0 < 5000);
  });

  it('a session-initiate asking for Jingle Encrypted Transports is ended with security-error; nothing saved', async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    const rx = await receiverOn(b, ['ibb']);
    const terminated = new Promise<any>((resolve) => a.handleIq('set', NS.jingle, 'jingle', ({ child }) => void resolve(parseJingle(child))));
    const initiate = ibbInitiate({ sid: 'jet1', from: A, ibb: 't', name: 'secret.bin', size: 10, hashUsed: ['sha-256'], security: xml('security', { xmlns: NS.jet, name: 'f' }) });
    await a.iq(B, 'set', initiate);
    const t = await terminated;
    assert.equal(t.action, 'session-terminate');
    assert.equal(t.reason.condition, 'security-error');
    assert.deepEqual(readdirSync(rx.out), []);
    rx.uninstall();
  });

  it('refuses session-initiate from a sender not allowed, and any Jingle iq from a third party', async () => {
    const net = new FakeNet();
    const [a, b, c] = [net.session(A), net.session(B), net.session('mallory@test/m')];
    const rx = await receiverOn(b, ['ibb']);
    const initiate = (sid: string, from: string) => ibbInitiate({ sid, from, ibb: `ibb-${sid}`, name: 'x.bin', size: 4, hashUsed: ['sha-256'] });
    await assert.rejects(c.iq(B, 'set', initiate('m1', c.jid)), (e: any) => e instanceof StanzaError && e.condition === 'forbidden');
    // alice's session exists; mallory's terminate and IBB data for it are refused
    a.handleIq('set', NS.jingle, 'jingle', () => undefined);
    await a.iq(B, 'set', initiate('s1', A));
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(c.iq(B, 'set', buildJingle({ action: 'session-terminate', sid: 's1', reason: { condition: 'success' } })), (e: any) => e instanceof StanzaError && e.condition === 'item-not-found' && e.info.app?.name === 'unknown-session');
    await assert.rejects(c.iq(B, 'set', buildOpen('ibb-s1', 4096)), (e: any) => e instanceof StanzaError);
    // alice can still complete it: the checksum decides
    await a.iq(B, 'set', buildOpen('ibb-s1', 4096));
    await a.iq(B, 'set', buildData('ibb-s1', 0, Buffer.from('abcd')));
    await a.iq(B, 'set', buildClose('ibb-s1'));
    await a.iq(B, 'set', buildJingle({ action: 'session-info', sid: 's1', info: [buildChecksum('initiator', 'f', 'sha-256', createHash('sha256').update('abcd').digest('base64'))] }));
    await rx.incoming.finished;
    assert.equal(readFileSync(path.join(rx.out, 'x.bin'), 'utf8'), 'abcd');
    rx.uninstall();
  });

  it('a checksum that does not match: media-error to the sender, nothing saved', async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    const rx = await receiverOn(b, ['ibb']);
    const terminated = new Promise<any>((resolve) =>
      a.handleIq('set', NS.jingle, 'jingle', ({ child }) => {
        const j = parseJingle(child);
        if (j?.action === 'session-terminate') resolve(j);
      }),
    );
    await a.iq(B, 'set', ibbInitiate({ sid: 's2', from: A, ibb: 'i2', name: 'y.bin', size: 4, hashUsed: ['sha-256'] }));
    await new Promise((r) => setTimeout(r, 50));
    await a.iq(B, 'set', buildOpen('i2', 4096));
    await a.iq(B, 'set', buildData('i2', 0, Buffer.from('abcd')));
    await a.iq(B, 'set', buildClose('i2'));
    await a.iq(B, 'set', buildJingle({ action: 'session-info', sid: 's2', info: [buildChecksum('initiator', 'f', 'sha-256', createHash('sha256').update('abce').digest('base64'))] }));
    const t = await terminated;
    assert.equal(t.reason.condition, 'media-error');
    await rx.incoming.finished;
    assert.equal(rx.incoming.result.error?.code, 'EINTEGRITY');
    assert.deepEqual(readdirSync(rx.out), []);
    rx.uninstall();
  });

  it('no checksum at all (as Dino): saved after a bounded wait, verified: none', async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    const rx = await receiverOn(b, ['ibb']);
    a.handleIq('set', NS.jingle, 'jingle', () => undefined);
    await a.iq(B, 'set', ibbInitiate({ sid: 's3', from: A, ibb: 'i3', name: 'z.bin', size: 2 }));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await a.iq(B, 'set', buildOpen('i3', 4096));
    await a.iq(B, 'set', buildData('i3', 0, Buffer.from('hi')));
    await a.iq(B, 'set', buildClose('i3'));
    await rx.incoming.finished;
    const waited = Date.now() - t0;
    assert.ok(waited >= 2500 && waited < 6000, `waited ${waited} ms`);
    assert.equal((rx.events.find((e) => e.event === 'done') as any).verified, 'none');
    assert.equal(readFileSync(path.join(rx.out, 'z.bin'), 'utf8'), 'hi');
    rx.uninstall();
  });

  it('a Jingle session that fails, to a peer that also speaks SI: SI is tried next and succeeds', async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    // SOCKS5 cannot work (no candidates anywhere reachable); only SI has OOB.
    const rx = await receiverOn(b, ['s5b', 'oob'], { transport: { direct: false, directHosts: [], directPort: 0, proxies: [], proxyDiscovery: false } });
    (rx.incoming as any).opts.retryGraceMs = 3000;
    const { data, p } = await payload(30_000);
    const tx: XferEvent[] = [];
    await send(a, rx.features, p, ['s5b', 'oob'], transport({ directHosts: ['127.0.0.1:1'] }), tx);
    await rx.incoming.finished;
    const done = rx.events.find((e) => e.event === 'done') as any;
    assert.deepEqual([done.protocol, done.method], ['si', 'oob']);
    assert.deepEqual(tx.filter((e) => e.event === 'offer').map((e: any) => e.protocol), ['jingle', 'si', 'si']);
    assert.ok(tx.some((e) => e.event === 'method-failed' && e.method === 'jingle'));
    assert.equal(rx.incoming.result.failed, 0, 'the failed Jingle attempt was retried, not counted');
    assert.equal(sha(readFileSync(path.join(rx.out, 'data.bin'))), sha(data));
    rx.uninstall();
  });

  it('SI over the same fake net: the SI negotiator still works beside Jingle', async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    const rx = await receiverOn(b, ['ibb']);
    const { data, p } = await payload(20_000);
    const tx: XferEvent[] = [];
    await sendFile(a, B, rx.features, p, { methods: ['ibb'], negotiators: [siSender], offerTimeoutMs: 5000, transport: transport(), emit: (e) => tx.push(e) }, new AbortController().signal);
    await rx.incoming.finished;
    assert.equal((rx.events.find((e) => e.event === 'done') as any).protocol, 'si');
    assert.equal(sha(readFileSync(path.join(rx.out, 'data.bin'))), sha(data));
    rx.uninstall();
  });
});

describe('hostile Jingle peers', () => {
  const initiate = (sid: string, from: string, creator = 'initiator') =>
    ibbInitiate({ sid, from, ibb: `i-${sid}`, name: 'h.bin', size: 4, creator });

  it("a content the initiator did not create (creator='responder') is refused", async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    const rx = await receiverOn(b, ['ibb']);
    await assert.rejects(a.iq(B, 'set', initiate('c1', A, 'responder')), (e: any) => e instanceof StanzaError && e.condition === 'bad-request');
    rx.uninstall();
  });

  it('a storm of transport-replace is answered with resource-constraint, not queued without end', async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    const rx = await receiverOn(b, ['ibb']);
    a.handleIq('set', NS.jingle, 'jingle', () => undefined);
    await a.iq(B, 'set', initiate('storm', A));
    await new Promise((r) => setTimeout(r, 50));
    const replace = buildJingle({ action: 'transport-replace', sid: 'storm', initiator: A, content: { creator: 'initiator', name: 'f', transport: buildIbbTransport({ sid: 'x', blockSize: 4096, stanza: 'iq' }) } });
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => a.iq(B, 'set', replace)));
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as any).condition === 'resource-constraint').length;
    assert.ok(refused >= 60, `${refused} of 100 refused`);
    rx.uninstall();
  });

  it('SOCKS5 candidates at unspecified, multicast or broadcast addresses are never connected to', async () => {
    for (const h of ['0.0.0.0', '::', '[::]', '224.0.0.1', '239.1.2.3', '255.255.255.255', 'ff02::1', '0.1.2.3']) assert.equal(unusableHost(h), true, h);
    for (const h of ['127.0.0.1', '::1', '10.0.0.1', 'proxy.example.org']) assert.equal(unusableHost(h), false, h);
    const t0 = Date.now();
    await assert.rejects(raceCandidates([{ host: '0.0.0.0', port: 9, proxy: false }], 'h', { staggerMs: 10, candidateTimeoutMs: 1000 }, new AbortController().signal), /no usable streamhost/);
    assert.ok(Date.now() - t0 < 100);
  });

  it('a checksum (or anything) after the session ended is answered unknown-session', async () => {
    const net = new FakeNet();
    const [a, b] = [net.session(A), net.session(B)];
    const rx = await receiverOn(b, ['ibb']);
    const { p } = await payload(5000);
    await send(a, rx.features, p, ['ibb'], transport());
    await rx.incoming.finished;
    const sid = (rx.events.find((e) => e.event === 'done') as any).sid;
    const late = buildJingle({ action: 'session-info', sid, info: [buildChecksum('initiator', 'file', 'sha-256', createHash('sha256').update('other').digest('base64'))] });
    await assert.rejects(a.iq(B, 'set', late), (e: any) => e instanceof StanzaError && e.condition === 'item-not-found' && e.info.app?.name === 'unknown-session');
    rx.uninstall();
  });
});
