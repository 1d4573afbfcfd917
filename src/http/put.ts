// XEP-0363's PUT of a file to an upload slot, with node:http(s).
//
// Why not undici, the library on the design card: it parses HTTP with llhttp compiled to WASM,
// and compiling that costs every upload ~50 MiB of peak RSS and ~0.17 s (measured here: a PUT of
// one byte peaks at 100 MiB with undici, 46 MiB with node:http), which alone breaks the
// 80 MiB-per-process budget. The download side left undici earlier (see download.ts).
//
// The body is read from the file into two reused buffers: one is being written to the socket
// while the next is read; a buffer is refilled only after the socket has taken it (the write
// callback), so nothing in flight is overwritten and nothing per chunk is allocated.
import { open } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { errors, XferError } from '../errors.js';

const CHUNK = 256 << 10;

export interface PutOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  /** no progress (headers, body, answer) for this long fails the upload */
  idleMs: number;
  onProgress: (bytes: number) => void;
}

/** PUT `size` bytes of `file` to `url`; resolves with the HTTP status. */
export async function putFile(url: URL, file: string, size: number, opts: PutOptions): Promise<number> {
  const fh = await open(file, 'r');
  let idleFired = false;
  const req = (url.protocol === 'https:' ? https : http).request(url, {
    method: 'PUT',
    headers: { ...opts.headers, 'content-length': String(size) },
    signal: opts.signal,
  });
  req.setTimeout(opts.idleMs, () => {
    idleFired = true;
    req.destroy(new Error(`no progress for ${opts.idleMs / 1000} s`));
  });
  const failed = new Promise<never>((_, reject) => req.on('error', reject));
  failed.catch(() => {}); // observed below; never unhandled
  const answered = new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
  try {
    const bufs = [Buffer.allocUnsafe(Math.min(CHUNK, size)), Buffer.allocUnsafe(Math.min(CHUNK, size))];
    const taken: Array<Promise<void> | undefined> = [undefined, undefined];
    for (let pos = 0, i = 0; pos < size; i ^= 1) {
      await Promise.race([taken[i], failed]);
      const { bytesRead } = await fh.read(bufs[i]!, 0, Math.min(CHUNK, size - pos), pos);
      if (bytesRead === 0) throw errors.file(`${file} shrank while uploading (${pos} of ${size} bytes)`);
      taken[i] = new Promise<void>((resolve, reject) => req.write(bufs[i]!.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve())));
      taken[i]!.catch(() => {});
      pos += bytesRead;
      opts.onProgress(pos);
    }
    await Promise.race([Promise.all(taken), failed]);
    req.end();
    const res = await Promise.race([answered, failed]);
    res.resume(); // the answer's body is not ours to keep
    await Promise.race([new Promise((r) => res.on('end', r).on('close', r)), failed]);
    return res.statusCode ?? 0;
  } catch (err) {
    req.destroy();
    if (opts.signal.aborted) throw opts.signal.reason;
    if (idleFired) throw errors.stall(`upload to ${url.host} stalled: no progress for ${opts.idleMs / 1000} s`);
    if (err instanceof XferError) throw err;
    throw errors.transfer(`upload to ${url.host} failed: ${(err as Error).message}`);
  } finally {
    await fh.close();
  }
}
