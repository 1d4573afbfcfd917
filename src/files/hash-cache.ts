// Digests of files already read once, so that sending the same file again over SI (and HTTP
// upload) skips the extra pass XEP-0096 forces before the offer: the hash goes in the offer,
// where Jingle can send it after the data instead.
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

/** hashFile, answered from the cache when the file is provably unchanged since it was last read. */
export async function cachedHashFile(
  file: string,
  { onProgress, withMd5 = true, cache = cacheFile(), settleMs = CACHE_SETTLE_MS }: { onProgress?: (bytes: number) => void; withMd5?: boolean; cache?: string; settleMs?: number } = {},
): Promise<Digests> {
  if (!cache) return hashFile(file, onProgress, withMd5);
  const before = await identity(file);
  const hit = load(cache).find((e) => e.key === before.key && (!withMd5 || e.md5));
  if (hit) return { sha256: hit.sha256, md5: withMd5 ? hit.md5! : '' };
  const started = Date.now();
  const digests = await hashFile(file, onProgress, withMd5);
  const after = await identity(file);
  if (after.key === before.key && before.changedMs < started - settleMs) {
    const entries = load(cache).filter((e) => e.key !== before.key);
    entries.push({ key: before.key, sha256: digests.sha256, ...(withMd5 ? { md5: digests.md5 } : {}) });
    save(cache, entries);
  }
  return digests;
}
