// XEP-0363's PUT of a file to an upload slot, with node:http(s); the body goes through the same
// two-buffer file pump as SOCKS5 and OOB (streams/pump.ts: nothing allocated per chunk).
//
// Why not undici, the library on the design card: it parses HTTP with llhttp compiled to WASM,
// and compiling that costs every upload ~50 MiB of peak RSS and ~0.17 s (measured here: a PUT of
// one byte peaks at 100 MiB with undici, 46 MiB with node:http), which alone breaks the
// 80 MiB-per-process budget. The download side left undici earlier (see download.ts).
import http from 'node:http';
import https from 'node:https';
import { finished } from 'node:stream/promises';
import { errors, XferError } from '../errors.js';
import { sendRange } from '../streams/pump.js';

export interface PutOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  /** no progress (headers, body, answer) for this long fails the upload */
  idleMs: number;
  onProgress: (bytes: number) => void;
  /** sees every chunk of the body in order (the upload hashes while it sends) */
  tap?: (chunk: Buffer) => void;
}

/** PUT `size` bytes of `file` to `url`; resolves with the HTTP status. */
export async function putFile(url: URL, file: string, size: number, opts: PutOptions): Promise<number> {
  let idleFired = false;
  let response: http.IncomingMessage | undefined;
  const req = (url.protocol === 'https:' ? https : http).request(url, {
    method: 'PUT',
    headers: { ...opts.headers, 'content-length': String(size) },
    signal: opts.signal,
  });
  req.setTimeout(opts.idleMs, () => {
    idleFired = true;
    req.destroy(new Error(`no progress for ${opts.idleMs / 1000} s`));
  });
  const answered = new Promise<http.IncomingMessage>((resolve, reject) => req.on('response', (res) => resolve((response = res))).on('error', reject));
  answered.catch(() => {}); // observed below; never unhandled
  const status = async (res: http.IncomingMessage) => {
    res.resume(); // the answer's body is not ours to keep
    await finished(res).catch(() => {});
    return res.statusCode ?? 0;
  };
  try {
    await sendRange(file, 0, size, req, opts.onProgress, opts.signal, undefined, opts.tap);
    req.end();
    return await status(await answered);
  } catch (err) {
    req.destroy();
    if (opts.signal.aborted) throw opts.signal.reason;
    if (idleFired) throw errors.stall(`upload to ${url.host} stalled: no progress for ${opts.idleMs / 1000} s`);
    // A server that refuses before taking the body (413, 403) answers, then closes: say what it said.
    if (response) return status(response);
    if (err instanceof XferError) throw err;
    throw errors.transfer(`upload to ${url.host} failed: ${(err as Error).message}`);
  }
}
