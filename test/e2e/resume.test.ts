// Resume (issue #6, item 8): a receiver run with --resume keeps the bytes of a transfer that broke
// off and answers the next offer of the same file (name, size, hash) with an XEP-0096
// <range offset>; only the rest travels, and the whole file's sha-256 is still verified.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { listDir, randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';

const A = 'faye';
const B = 'gus';
const SIZE = 8 << 20;

/** Start a slowed-down send, kill it once `after` bytes arrived; returns what the receiver kept. */
async function brokenFirstAttempt(rx: Awaited<ReturnType<typeof receiver>>, file: string, method: string, after: number) {
  const tx = xfer(A, ['send', file, jidOf(B), '--methods', method, '--no-proxy', '--limit-rate', '2M']);
  await rx.waitFor('progress', 30000, (e) => e.bytes >= after);
  tx.child.kill('SIGKILL');
  await tx.done;
  return rx.waitFor('file-failed', 20000);
}

describe('resume with --resume', () => {
  for (const method of ['s5b', 'ibb', 'oob']) {
    it(`${method}: a killed sender's bytes are kept; the next send of the file moves only the rest`, async () => {
      const src = tempDir();
      const f = randomFile(src, `resume-${method}.bin`, SIZE);
      const out = tempDir();
      const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--resume', '--retry-grace', '10000', '--timeout', '120']);
      const failed = await brokenFirstAttempt(rx, f, method, 1 << 20);
      assert.ok(failed.kept >= 1 << 20 && failed.kept < SIZE, `kept ${failed.kept}`);
      const parts = listDir(out);
      assert.equal(parts.length, 1);
      assert.match(parts[0]!, /^\.xfer-resume-[0-9a-f]{32}\.part$/);

      const tx = await xfer(A, ['send', f, jidOf(B), '--methods', method, '--no-proxy']).done;
      const r = await rx.done;
      assert.equal(tx.code, 0, tx.stderr);
      assert.equal(r.code, 0, r.stderr);
      const accepted = tx.events.find((e) => e.event === 'accepted');
      assert.equal(accepted.offset, failed.kept, 'the answer carried <range offset> = the kept bytes');
      const sent = tx.events.find((e) => e.event === 'done');
      assert.equal(sent.bytes, SIZE - failed.kept, 'only the rest travelled');
      const done = r.events.find((e) => e.event === 'done');
      assert.equal(done.verified, 'sha-256');
      assert.equal(await sha256File(path.join(out, path.basename(f))), await sha256File(f));
      assert.deepEqual(listDir(out), [path.basename(f)], 'the part was consumed');
    });
  }

  it('a kept part whose bytes are wrong fails verification and is not kept again', async () => {
    const src = tempDir();
    const f = randomFile(src, 'resume-tampered.bin', SIZE);
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--resume', '--retry-grace', '10000', '--timeout', '120']);
    const failed = await brokenFirstAttempt(rx, f, 's5b', 1 << 20);
    const part = path.join(out, listDir(out)[0]!);
    writeFileSync(part, Buffer.alloc(failed.kept, 0x41)); // same length, other bytes
    const tx = await xfer(A, ['send', f, jidOf(B), '--methods', 's5b', '--no-proxy']).done;
    const r = await rx.done;
    assert.equal(r.code, 9, r.stderr);
    assert.notEqual(tx.code, 0, JSON.stringify(tx.events.filter((e) => e.event !== 'progress')) + JSON.stringify(r.events.filter((e) => e.event !== 'progress')));
    assert.deepEqual(listDir(out), [], 'neither the file nor the bad part is left');
  });

  it('without --resume nothing is kept', async () => {
    const src = tempDir();
    const f = randomFile(src, 'no-resume.bin', SIZE);
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--retry-grace', '0', '--timeout', '60']);
    const failed = await brokenFirstAttempt(rx, f, 's5b', 1 << 20);
    assert.equal(failed.kept, undefined);
    const r = await rx.done;
    assert.notEqual(r.code, 0);
    assert.deepEqual(listDir(out), []);
  });
});
