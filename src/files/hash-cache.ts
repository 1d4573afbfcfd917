// Digests of files already read once, so that sending the same file again skips a hash pass:
// SI the extra read XEP-0096 forces before the offer; Jingle and HTTP upload the hashing while
// they send (Jingle's checksum after the data, the link's sha-256, then come from here).
//
// Keyed like git's index: device, inode, size, mtime and ctime in nanoseconds. ctime cannot be set
// by a user, so any write or rename over the file changes the key. A digest is stored only if the
// file had not changed for CACHE_SETTLE_MS before the pass began and did not change during it
// (git's "racily clean" rule): a write landing in the same timestamp tick as the pass would
// otherwise keep the old key. A stale digest could still not corrupt anything: the receiver hashes
// what arrives and refuses a mismatch.
//
// $XDG_CACHE_HOME/xfer/hashes.json (default ~/.cache/xfer), at most MAX_ENTRIES, newest kept,
// written to a temporary name and renamed. XFER_HASH_CACHE=off disables it (the bench's cold rows).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { hashFile, type Digests } from './hash.js';

export const MAX_ENTRIES = 256;
export const CACHE_SETTLE_MS = 2000;

interface Entry { key: string; sha256: string; md5?: string }

export function cacheFile(env = process.env): string | undefined {
  if (env.XFER_HASH_CACHE === 'off') return undefined;
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), '.cache');
  return path.join(base, 'xfer', 'hashes.json');
}

async function identity(file: string): Promise<{ key: string; changedMs: number }> {
  const s = await stat(file, { bigint: true });
  return { key: `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`, changedMs: Number(s.ctimeNs / 1_000_000n) };
}

function load(cache: string): Entry[] {
  try {
    const v = JSON.parse(readFileSync(cache, 'utf8'));
    return Array.isArray(v) ? v.filter((e) => typeof e?.key === 'string' && /^[0-9a-f]{64}$/.test(e.sha256)) : [];
  } catch {
    return []; // missing or damaged: start again
  }
}

function save(cache: string, entries: Entry[]): void {
  try {
    mkdirSync(path.dirname(cache), { recursive: true, mode: 0o700 });
    const tmp = `${cache}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entries.slice(-MAX_ENTRIES)), { mode: 0o600 });
    renameSync(tmp, cache);
  } catch {
    // A read-only or full home only costs the next send a hash pass.
  }
}

/**
 * The cache's view of one file: its digests if provably unchanged since they were stored, and
 * `save` for digests computed now (by a full read that started after this call: hashFile, or
 * Jingle hashing while it sends), kept only under the rules above.
 */
export async function cacheEntry(
  file: string,
  { withMd5 = false, cache = cacheFile(), settleMs = CACHE_SETTLE_MS }: { withMd5?: boolean; cache?: string; settleMs?: number } = {},
): Promise<{ hit?: Digests; save(d: Digests): Promise<void> }> {
  if (!cache) return { save: async () => {} };
  const started = Date.now();
  const before = await identity(file);
  const hit = load(cache).find((e) => e.key === before.key && (!withMd5 || e.md5));
  return {
    hit: hit && { sha256: hit.sha256, md5: withMd5 ? hit.md5! : '' },
    async save(d: Digests) {
      const after = await identity(file).catch(() => undefined);
      if (after?.key !== before.key || before.changedMs >= started - settleMs) return;
      const entries = load(cache).filter((e) => e.key !== before.key);
      entries.push({ key: before.key, sha256: d.sha256, ...(d.md5 ? { md5: d.md5 } : {}) });
      save(cache, entries);
    },
  };
}

/** hashFile, answered from the cache when the file is provably unchanged since it was last read. */
export async function cachedHashFile(
  file: string,
  { onProgress, withMd5 = true, cache = cacheFile(), settleMs = CACHE_SETTLE_MS }: { onProgress?: (bytes: number) => void; withMd5?: boolean; cache?: string; settleMs?: number } = {},
): Promise<Digests> {
  const entry = await cacheEntry(file, { withMd5, cache, settleMs });
  if (entry.hit) return entry.hit;
  const digests = await hashFile(file, onProgress, withMd5);
  await entry.save(digests);
  return digests;
}
