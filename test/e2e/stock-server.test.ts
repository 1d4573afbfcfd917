// Prosody as Debian ships it (fixtures/prosody/profile-stock.lua: mod_limits at 10 kB/s per client,
// default reads and Nagle): what users of a default install meet. xfer's default choice must not
// crawl there, and when a user forces the crawl (IBB through the limit), the sender must say how
// long it will take and what would be faster, instead of a progress bar that barely moves.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listDir, randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { jidOf, privateServer, type Server } from '../helpers/fixture.js';

describe('on a stock-configured Prosody (10 kB/s per client)', () => {
  const own = privateServer('prosody', 27420, 'prosody-stock', 'stock');
  let fx: Server;
  before(() => void (fx = own.start()));
  after(() => own.stop());
  const file = randomFile(tempDir(), 'stock-2m.bin', 2 << 20);

  it('the default send picks a path outside the limit: 2 MiB arrive in seconds, sha-256 checked', async () => {
    const out = tempDir();
    const rx = await receiver('bob', ['-o', out, '--from', jidOf('alice', fx), '--once', '--timeout', '60'], fx);
    const tx = await xfer('alice', ['send', file, jidOf('bob', fx)], { fx }).done;
    const r = await rx.done;
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(r.code, 0, r.stderr);
    const done = tx.events.find((e) => e.event === 'done');
    assert.equal(done.method, 's5b');
    assert.ok(done.seconds < 10, `${done.seconds} s`); // IBB through the limit would take ~280 s
    assert.equal(await sha256File(path.join(out, 'stock-2m.bin')), await sha256File(file));
  });

  it('IBB through the limit: the sender says it is slow, how long, and what to use instead', async () => {
    const out = tempDir();
    const rx = await receiver('bob', ['-o', out, '--from', jidOf('alice', fx), '--once', '--retry-grace', '0', '--timeout', '60'], fx);
    const tx = xfer('alice', ['send', file, jidOf('bob', fx), '--methods', 'ibb'], { fx });
    const slow = await tx.waitFor('slow', 30000);
    assert.equal(slow.method, 'ibb');
    // ~7.5 kB/s of file (10 kB/s of base64): 2 MiB would take minutes.
    assert.ok(slow.rate > 1000 && slow.rate < 20000, `rate ${slow.rate}`);
    assert.ok(slow.eta > 60, `eta ${slow.eta}`);
    assert.match(slow.advice, /--method upload/);
    assert.match(slow.advice, /--methods s5b/);
    tx.child.kill('SIGINT');
    const t = await tx.done;
    assert.equal(t.code, 130, t.stderr);
    await rx.done;
    // Nothing under the file's name, no temporary file: the receiver failed it cleanly.
    assert.deepEqual(listDir(out), []);
  });
});
