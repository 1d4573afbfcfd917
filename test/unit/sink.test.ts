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
