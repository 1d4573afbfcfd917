// The xfer <-> xfer matrix on the second server, ejabberd (Debian), every method including HTTP
// File Upload to an offline recipient.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { ejabberd, jidOf } from '../helpers/fixture.js';

const fx = ejabberd();
const A = 'alice';
const B = 'bob';
const cells: Record<string, string[]> = {
  ibb: ['--methods', 'ibb'],
  's5b-direct': ['--methods', 's5b', '--no-proxy'],
  's5b-proxy': ['--methods', 's5b', '--no-direct'],
  oob: ['--methods', 'oob'],
};

describe('xfer <-> xfer on ejabberd', () => {
  const file = randomFile(tempDir(), 'ejabberd.bin', (1 << 20) + 3);

  for (const [method, args] of Object.entries(cells)) {
    it(method, async () => {
      const out = tempDir();
      const rx = await receiver(B, ['-o', out, '--from', jidOf(A, fx), '--once', '--timeout', '60'], fx);
      const tx = await xfer(A, ['send', file, jidOf(B, fx), ...args], { fx }).done;
      const r = await rx.done;
      assert.equal(tx.code, 0, tx.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.events.find((e) => e.event === 'done').method, method.replace(/-.*/, ''));
      assert.equal(await sha256File(path.join(out, 'ejabberd.bin')), await sha256File(file));
    });
  }

  it('upload (XEP-0363) to an offline recipient', async () => {
    const tx = await xfer(A, ['send', file, jidOf('carol', fx), '--method', 'upload'], { fx }).done;
    assert.equal(tx.code, 0, tx.stderr);
    const out = tempDir();
    // A link stored while carol was offline is delivered to a resource with priority >= 0 only.
    const r = await xfer('carol', ['receive', '-o', out, '--from', jidOf(A, fx), '--once', '--timeout', '30', '--priority', '0'], { fx }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sha256File(path.join(out, 'ejabberd.bin')), await sha256File(file));
  });
});
