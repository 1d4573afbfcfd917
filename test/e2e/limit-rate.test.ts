// --limit-rate paces every method: 2 MiB at 1 MiB/s cannot arrive in much less than 2 s, and
// still arrives intact.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';

const A = 'rue';
const B = 'sol';

describe('--limit-rate', () => {
  const src = tempDir();
  const file = randomFile(src, 'paced.bin', 2 << 20);
  for (const method of ['s5b', 'oob', 'ibb']) {
    it(`${method}: 2 MiB at 1M takes about 2 s and arrives intact`, async () => {
      const out = tempDir();
      const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
      const tx = await xfer(A, ['send', file, jidOf(B), '--methods', method, '--no-proxy', '--limit-rate', '1M']).done;
      const r = await rx.done;
      assert.equal(tx.code, 0, tx.stderr);
      assert.equal(r.code, 0, r.stderr);
      const done = r.events.find((e) => e.event === 'done');
      assert.equal(done.method, method);
      // The first chunk may go at once; the rest is held to 1 MiB/s.
      assert.ok(done.seconds >= 1.6, `arrived in ${done.seconds} s: not paced`);
      assert.equal(await sha256File(path.join(out, 'paced.bin')), await sha256File(file));
    });
  }
});
