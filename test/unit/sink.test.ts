// FileSink placement where the filesystem has no hard links (FAT/exFAT, some network shares): the
// link() error is simulated, the fallback (exclusive create + rename over our own placeholder) is
// real, and it still never replaces a file that exists.
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileSink } from '../../src/files/sink.js';

async function receive(dir: string, name: string, body: string): Promise<string> {
  const sink = new FileSink({ dir, offeredName: name, size: body.length, overwrite: false });
  await sink.open();
  await sink.write(Buffer.from(body));
  return (await sink.finish()).path;
}

describe('FileSink without hard links', () => {
  it('falls back to exclusive create + rename; an existing name is kept and the next one taken', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'xfer-sink-'));
    writeFileSync(path.join(dir, 'a.txt'), 'theirs');
    const link = fsp.link;
    let tried = 0;
    (fsp as any).link = async () => {
      tried++;
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    };
    try {
      const first = await receive(dir, 'a.txt', 'one');
      const second = await receive(dir, 'a.txt', 'two');
      assert.ok(tried >= 2, 'link() was tried first');
      assert.equal(readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'theirs');
      assert.equal(path.basename(first), 'a (1).txt');
      assert.equal(path.basename(second), 'a (2).txt');
      assert.equal(readFileSync(first, 'utf8'), 'one');
      assert.equal(readFileSync(second, 'utf8'), 'two');
      assert.deepEqual((await fsp.readdir(dir)).sort(), ['a (1).txt', 'a (2).txt', 'a.txt'], 'no temporary file left');
    } finally {
      (fsp as any).link = link;
    }
  });
});

describe('FileSink --resume', () => {
  it('a hard link planted at the part name is not appended to (the file it points at stays as it was)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'xfer-sink-'));
    const outside = path.join(await mkdtemp(path.join(tmpdir(), 'xfer-outside-')), 'precious.txt');
    writeFileSync(outside, 'precious');
    const opts = { dir, offeredName: 'f.bin', size: 20, sha256: Buffer.alloc(32).toString('base64'), overwrite: false, resume: true, canContinue: true };
    const probe = new FileSink(opts);
    await fsp.link(outside, probe.partPath!);
    const sink = new FileSink(opts);
    await sink.open();
    assert.equal(sink.resumedFrom, 0, 'the planted part was not continued');
    await sink.write(Buffer.alloc(20, 0x41));
    await assert.rejects(sink.finish(), /sha-256/);
    assert.equal(readFileSync(outside, 'utf8'), 'precious');
  });
});
