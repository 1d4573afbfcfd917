// Standard input as a file to send. SI puts the size (and xfer the sha-256) in the offer and
// Jingle the size, before the first byte moves, so a pipe is first copied to a private temporary
// file (0600, in a 0700 folder under the system temp dir), then offered like any file and removed
// afterwards, whatever happens.
import { createWriteStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { errors } from '../errors.js';
import { safeFileName } from './safe-name.js';

export async function spool(input: Readable, name: string): Promise<{ file: string; name: string; cleanup: () => Promise<void> }> {
  const dir = await fsp.mkdtemp(path.join(tmpdir(), 'xfer-stdin-'));
  const clean = safeFileName(name);
  const file = path.join(dir, clean);
  const cleanup = () => fsp.rm(dir, { recursive: true, force: true });
  try {
    await pipeline(input, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await cleanup();
    throw errors.file(`cannot read standard input: ${(err as Error).message}`, err);
  }
  return { file, name: clean, cleanup };
}
