// Moving a file range into a socket or an HTTP response: the sender's data path for SOCKS5 and OOB.
//
// Why not createReadStream().pipe(): it allocates a fresh buffer per read and takes one read, one
// write, one wait at a time; at 512 MiB the allocations alone cost ~0.25 s of GC here. Two 1 MiB
// buffers are used in turn instead: the file is read into one while the other is still being
// handed to the kernel, and a buffer is reused only after its write callback fired (the data
// has left our hands then).
//
//   buffer A: read ──► write ─────────► (callback) read ──► write …
//   buffer B:          read ──► write ─────────► (callback) read …
import { promises as fsp } from 'node:fs';
import type { Writable } from 'node:stream';
import { errors } from '../errors.js';
import type { RateLimiter } from './rate.js';

const CHUNK = 1 << 20;

export async function sendRange(
  file: string,
  start: number,
  end: number, // exclusive
  dest: Writable,
  onBytes: (sentUpTo: number) => void,
  signal: AbortSignal,
  limiter?: RateLimiter,
  /** sees every chunk in file order before it is written (Jingle hashes while sending) */
  tap?: (chunk: Buffer) => void,
): Promise<void> {
  // With --limit-rate, ~10 chunks a second keep the pace smooth.
  const chunkSize = limiter ? Math.min(CHUNK, Math.max(16 << 10, Math.floor(limiter.bytesPerSecond / 10))) : CHUNK;
  const fh = await fsp.open(file, 'r');
  let broken: Error | undefined;
  let wake: (() => void) | undefined;
  const fail = (err?: Error) => {
    broken ??= err ?? new Error('connection closed');
    wake?.();
  };
  const onClose = () => fail(dest.writableFinished ? undefined : new Error('connection closed before the last byte'));
  dest.on('error', fail);
  dest.on('close', onClose);
  const onAbort = () => fail(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  const inFlight: Array<Promise<void> | undefined> = [undefined, undefined];
  const written = (buf: Buffer, upTo: number) =>
    new Promise<void>((resolve) => {
      dest.write(buf, (err) => {
        if (err) fail(err);
        else onBytes(upTo);
        resolve();
      });
    });
  // Waits for a write, but wakes at once when the connection breaks or the transfer is cancelled.
  const settle = (p: Promise<void> | undefined) =>
    new Promise<void>((resolve) => {
      if (!p || broken) return resolve();
      wake = resolve;
      p.then(resolve);
    });
  try {
    let pos = start;
    for (let i = 0; pos < end; i ^= 1) {
      await settle(inFlight[i]);
      if (broken) throw broken;
      const want = Math.min(chunkSize, end - pos);
      await limiter?.take(want, signal);
      const { bytesRead } = await fh.read(bufs[i]!, 0, want, pos);
      if (bytesRead === 0) throw errors.file(`${file} shrank while it was being sent`);
      if (broken) throw broken;
      pos += bytesRead;
      tap?.(bufs[i]!.subarray(0, bytesRead));
      inFlight[i] = written(bytesRead === CHUNK ? bufs[i]! : bufs[i]!.subarray(0, bytesRead), pos);
    }
    await settle(inFlight[0]);
    await settle(inFlight[1]);
    if (broken) throw broken;
  } finally {
    signal.removeEventListener('abort', onAbort);
    dest.off('error', fail);
    dest.off('close', onClose);
    await fh.close();
  }
}
