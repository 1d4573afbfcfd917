// The SI sender's hash cache: a hit only for the very same, unchanged file; a file changed in any
// way (content, size, a rewrite in place, a replacement under the same name) is read again.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cachedHashFile, cacheFile } from '../../src/files/hash-cache.js';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('hash cache', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xfer-hashcache-'));
  const cache = path.join(dir, 'cache', 'hashes.json');
  // settleMs: -1e9 treats a file written just now as settled (the real rule is 2 s; tested below).
  const hash = async (f: string, o: { settleMs?: number; withMd5?: boolean } = {}) => {
    let reads = 0;
    const d = await cachedHashFile(f, { cache, settleMs: o.settleMs ?? -1e9, withMd5: o.withMd5 ?? false, onProgress: () => reads++ });
    return { ...d, read: reads > 0 };
  };

  it('answers an unchanged file from the cache, and reads a changed one again', async () => {
    const f = path.join(dir, 'a.bin');
    writeFileSync(f, 'one');
    assert.deepEqual(await hash(f), { sha256: sha(f), md5: '', read: true });
    assert.deepEqual(await hash(f), { sha256: sha(f), md5: '', read: false });
    appendFileSync(f, ' two'); // size and ctime change
    assert.deepEqual(await hash(f), { sha256: sha(f), md5: '', read: true });
    writeFileSync(f, 'ONE TWO'); // same size, rewritten in place
    const r = await hash(f);
    assert.equal(r.read, true);
    assert.equal(r.sha256, sha(f));
    const g = path.join(dir, 'b.bin');
    writeFileSync(g, 'something else');
    await hash(g);
    renameSync(g, f); // another file under the same name: another inode
    assert.deepEqual(await hash(f), { sha256: sha(f), md5: '', read: true });
  });

  it('a cached sha-256 without md5 does not answer a request for md5', async () => {
    const f = path.join(dir, 'c.bin');
    writeFileSync(f, 'md5 please');
    await hash(f);
    const r = await hash(f, { withMd5: true });
    assert.equal(r.read, true);
    assert.equal(r.md5, createHash('md5').update('md5 please').digest('hex'));
    assert.equal((await hash(f, { withMd5: true })).read, false);
  });

  it('does not keep the digest of a file that changed just before the pass (racily clean)', async () => {
    const f = path.join(dir, 'd.bin');
    writeFileSync(f, 'fresh');
    assert.equal((await hash(f, { settleMs: 2000 })).read, true);
    assert.equal((await hash(f, { settleMs: 2000 })).read, true);
  });

  it('a damaged cache file is ignored and rewritten; XFER_HASH_CACHE=off disables it', async () => {
    writeFileSync(cache, '{not json');
    const f = path.join(dir, 'e.bin');
    writeFileSync(f, 'x');
    assert.equal((await hash(f)).read, true);
    assert.equal((await hash(f)).read, false);
    assert.equal(cacheFile({ XFER_HASH_CACHE: 'off', HOME: dir }), undefined);
    assert.equal(cacheFile({ XDG_CACHE_HOME: '/c', HOME: dir }), '/c/xfer/hashes.json');
  });
});
