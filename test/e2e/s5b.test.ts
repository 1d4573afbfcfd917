// SOCKS5 Bytestreams through the fixture Prosody and its proxy65: direct, proxy, a silent first
// candidate, every candidate dead (falls back to IBB), and 200 MiB byte-identical.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';

const A = 'peggy';
const B = 'trent';

async function runWith(file: string, txArgs: string[], rxArgs: string[] = []) {
  const out = tempDir();
  const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '120', ...rxArgs]);
  const t0 = Date.now();
  const tx = await xfer(A, ['send', file, jidOf(B), ...txArgs]).done;
  const ms = Date.now() - t0;
  const r = await rx.done;
  assert.equal(tx.code, 0, tx.stderr);
  assert.equal(r.code, 0, r.stderr);
  const got = path.join(out, path.basename(file));
  assert.equal(await sha256File(got), await sha256File(file));
  return { tx, rx: r, ms, done: r.events.find((e) => e.event === 'done') };
}

function listener(behaviour: 'silent' | 'dead'): Promise<{ port: number; close: () => void }> {
  return new Promise((resolve) => {
    const sockets: net.Socket[] = [];
    const srv = net.createServer((s) => sockets.push(s)); // accepts, never speaks
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      if (behaviour === 'dead') srv.close(() => resolve({ port, close: () => {} }));
      else resolve({ port, close: () => (sockets.forEach((s) => s.destroy()), srv.close()) });
    });
  });
}

// The same SOCKS5 behaviour under both negotiations: SI (XEP-0065) and Jingle (XEP-0260).
for (const protocol of ['si', 'jingle'] as const) {
describe(`SOCKS5 bytestreams (${protocol})`, () => {
  const run = (file: string, txArgs: string[], rxArgs: string[] = []) => runWith(file, [...txArgs, '--protocol', protocol], rxArgs);
  const src = tempDir();
  const f = randomFile(src, 's5b-4m.bin', 4 << 20);

  it('direct only (--no-proxy)', async () => {
    const { done, tx } = await run(f, ['--methods', 's5b', '--no-proxy']);
    assert.equal(done.method, 's5b');
    assert.ok(!tx.events.some((e) => e.event === 'method-failed'));
  });

  // The receiver offers no candidate of its own (Jingle): the proxy is the only way.
  it('proxy only (--no-direct): relayed by the server proxy65', async () => {
    const { done, rx } = await run(f, ['--methods', 's5b', '--no-direct'], ['--no-direct', '--no-proxy', '--verbose']);
    assert.equal(done.method, 's5b');
    assert.equal(done.protocol, protocol);
    // The receiver connected to the proxy's port (from the fixture), not to anyone's own streamhost.
    const proxyPort = Number(process.env.XFER_TEST_PROXY_PORT ?? '25225');
    if (protocol === 'jingle') assert.match(rx.stderr, new RegExp(`xfer:jingle-s5b: .* connected to their candidate \\S+ \\(127\\.0\\.0\\.1:${proxyPort}\\)`), rx.stderr);
  });

  it('a silent first candidate does not delay the transfer much', async () => {
    const base = await run(f, ['--methods', 's5b', '--no-proxy']);
    const silent = await listener('silent');
    try {
      const slow = await run(f, ['--methods', 's5b', '--no-proxy', '--direct-host', `127.0.0.1:${silent.port}`, '--direct-host', 'auto']);
      assert.equal(slow.done.method, 's5b');
      console.log(`# silent first candidate: ${slow.ms} ms vs ${base.ms} ms without (+${slow.ms - base.ms} ms)`);
    } finally {
      silent.close();
    }
  });

  it('a silent streamhost with a proxy behind it: the proxy wins after the stagger', async () => {
    const silent = await listener('silent');
    try {
      const r = await run(f, ['--methods', 's5b', '--direct-host', `127.0.0.1:${silent.port}`]);
      assert.equal(r.done.method, 's5b');
    } finally {
      silent.close();
    }
  });

  // SI: a new offer (new sid) without s5b. Jingle: transport-replace inside the one session; the
  // receiver offers no candidate of its own there, so SOCKS5 fails on both sides.
  it(`every candidate dead: falls back to IBB and succeeds`, async () => {
    const dead = await listener('dead');
    const { tx, done } = await run(f, ['--methods', 's5b,ibb', '--no-proxy', '--direct-host', `127.0.0.1:${dead.port}`], ['--s5b-candidate-timeout', '1000', '--no-direct', '--no-proxy']);
    assert.equal(done.method, 'ibb');
    assert.equal(done.protocol, protocol);
    const failed = tx.events.find((e) => e.event === 'method-failed');
    assert.equal(failed.method, 's5b');
    const offers = tx.events.filter((e) => e.event === 'offer');
    if (protocol === 'si') {
      assert.equal(offers.length, 2);
      assert.notEqual(offers[0].sid, offers[1].sid, 'a new sid for the new offer');
      assert.deepEqual(offers[1].methods, ['ibb']);
    } else {
      assert.equal(offers.length, 1, 'one Jingle session throughout');
      assert.deepEqual(tx.events.filter((e) => e.event === 'method-tried').map((e) => e.method), ['s5b', 'ibb']);
    }
  });

  it('200 MiB arrives byte-identical (direct)', async () => {
    const big = randomFile(src, `s5b-200m-${protocol}.bin`, 200 << 20);
    const { done } = await run(big, ['--methods', 's5b', '--no-proxy']);
    assert.equal(done.bytes, 200 << 20);
    console.log(`# ${protocol} SOCKS5 direct 200 MiB: ${(200 / done.seconds).toFixed(0)} MiB/s`);
  });
});
}
