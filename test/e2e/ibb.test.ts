// Foundation, end to end: two real CLI processes through the fixture Prosody with TLS, IBB.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';

// Each e2e file uses its own pair of accounts: files run in parallel.
const A = 'alice';
const B = 'bob';

async function roundTrip(files: string[], opts: { rxArgs?: string[]; txArgs?: string[] } = {}) {
  const out = tempDir();
  const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--count', String(files.length), '--timeout', '120', '--methods', 'ibb', ...(opts.rxArgs ?? [])]);
  const tx = await xfer(A, ['send', ...files, jidOf(B), '--methods', 'ibb', ...(opts.txArgs ?? [])]).done;
  const rr = await rx.done;
  return { out, tx, rx: rr };
}

describe('send/receive over IBB', () => {
  const src = tempDir();

  for (const [label, size] of [['empty', 0], ['1 byte', 1], ['1 MiB', 1 << 20], ['50 MiB', 50 << 20]] as const) {
    it(`${label} file arrives byte-identical`, async () => {
      const f = randomFile(src, `f-${size}.bin`, size);
      const { out, tx, rx } = await roundTrip([f]);
      assert.equal(tx.code, 0, tx.stderr);
      assert.equal(rx.code, 0, rx.stderr);
      const done = rx.events.find((e) => e.event === 'done');
      assert.equal(done.method, 'ibb');
      assert.equal(done.bytes, size);
      assert.equal(done.verified, 'sha-256');
      const got = path.join(out, `f-${size}.bin`);
      assert.equal(await sha256File(got), await sha256File(f));
      assert.equal(done.sha256, await sha256File(f));
      assert.deepEqual(readdirSync(out), [`f-${size}.bin`], 'no temporary files left');
      const sent = tx.events.find((e) => e.event === 'done');
      assert.equal(sent.sha256, done.sha256);
      if (size === 50 << 20) console.log(`# IBB 50 MiB: ${(size / 1048576 / done.seconds).toFixed(1)} MiB/s`);
    });
  }

  it('keeps a non-ASCII file name', async () => {
    const f = randomFile(src, 'Grüße – 日本語 ✓.txt', 1000);
    const { out, tx, rx } = await roundTrip([f]);
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(rx.code, 0, rx.stderr);
    assert.equal(await sha256File(path.join(out, 'Grüße – 日本語 ✓.txt')), await sha256File(f));
  });

  it('sends three files in one command and reports each', async () => {
    const fs = [randomFile(src, 'one', 10), randomFile(src, 'two', 20000), randomFile(src, 'three', 300000)];
    const { out, tx, rx } = await roundTrip(fs);
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(rx.code, 0, rx.stderr);
    assert.equal(tx.events.filter((e) => e.event === 'done').length, 3);
    for (const f of fs) assert.equal(await sha256File(path.join(out, path.basename(f))), await sha256File(f));
  });

  it('does not overwrite an existing file: picks a free name', async () => {
    const f = randomFile(src, 'exists.txt', 100);
    const out = tempDir();
    writeFileSync(path.join(out, 'exists.txt'), 'keep me');
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
    const tx = await xfer(A, ['send', f, jidOf(B)]).done;
    const r = await rx.done;
    assert.equal(tx.code, 0);
    assert.equal(r.code, 0);
    assert.equal((await import('node:fs')).readFileSync(path.join(out, 'exists.txt'), 'utf8'), 'keep me');
    assert.equal(await sha256File(path.join(out, 'exists (1).txt')), await sha256File(f));
  });

  it('honours a smaller block size from the peer (resource-constraint)', async () => {
    const f = randomFile(src, 'small-blocks.bin', 200000);
    const { out, tx, rx } = await roundTrip([f], { rxArgs: ['--ibb-max-block-size', '4096'], txArgs: ['--ibb-block-size', '65535'] });
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(rx.code, 0, rx.stderr);
    assert.equal(await sha256File(path.join(out, 'small-blocks.bin')), await sha256File(f));
  });
});
