// Fetching a URL a peer gave us, into a FileSink: http/https only, redirects only within the same
// origin (at most 3), cut off as soon as the body is longer than offered.
//
// Why node:http and not undici here: undici 7's HTTP/1 parser asserts (uncatchably, from the
// socket's 'end' handler) when the server closes the connection while the body is paused by our
// backpressure — nodejs/undici#5360, fixed only in undici 8, which needs Node 22. Any server that
// sends "Connection: close" (slixmpp's test peer did) would crash the receiver mid-download.
import http from 'node:http';
import https from 'node:https';
import { errors, XferError } from '../errors.js';
import type { FileSink } from '../files/sink.js';
import { consume } from '../streams/consume.js';

export class DownloadError extends XferError {
  /** XEP-0066 §3 condition to answer the iq with */
  constructor(message: string, readonly condition: 'item-not-found' | 'not-acceptable', stalled = false) {
    // A server that stops sending is a stall like any other (--stall-timeout, exit 10).
    super(stalled ? 'ESTALL' : 'EDOWNLOAD', stalled ? 'timeout' : 'transfer', message);
  }
}


export function checkUrl(raw: string, accept?: (host: string) => boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DownloadError(`not a URL: ${raw.slice(0, 100)}`, 'not-acceptable');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DownloadError(`refusing ${url.protocol} URL (http and https only)`, 'not-acceptable');
  if (accept && !accept(url.hostname)) throw new DownloadError(`refusing a URL at ${url.hostname} (not a host xfer connects to here; see --strict-hosts)`, 'not-acceptable');
  return url;
}

export async function download(
  raw: string,
  sink: FileSink,
  opts: { signal: AbortSignal; stallTimeoutMs: number; onProgress: (bytes: number) => void; offset?: number; accept?: (host: string) => boolean },
): Promise<void> {
  let url = checkUrl(raw, opts.accept);
  const origin = url.origin;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = {};
    if (opts.offset) headers.range = `bytes=${opts.offset}-`;
    let res: http.IncomingMessage;
    // Once the idle timer destroys the request, the body fails with a bare 'aborted': remember why.
    const idle = { fired: false };
    try {
      res = await get(url, headers, opts.signal, opts.stallTimeoutMs, idle);
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason;
      throw new DownloadError(`cannot fetch ${url.host}: ${(err as Error).message}`, 'item-not-found', idle.fired);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400) {
      res.destroy();
      const loc = res.headers.location;
      const next = typeof loc === 'string' ? new URL(loc, url) : undefined;
      if (!next || next.origin !== origin) throw new DownloadError(`redirect to another host refused (${next?.host ?? 'no location'})`, 'not-acceptable');
      if (hop >= 3) throw new DownloadError('too many redirects', 'not-acceptable');
      url = checkUrl(next.href);
      continue;
    }
    if (status !== 200 && status !== 206) {
      res.destroy();
      throw new DownloadError(`HTTP ${status} from ${url.host}`, 'item-not-found');
    }
    // Resuming: only a 206 that starts exactly where our bytes end may be appended.
    const start = status === 206 ? Number(/^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''))?.[1] ?? NaN) : 0;
    if (start !== (opts.offset ?? 0)) {
      res.destroy();
      throw new DownloadError(`server answered range ${Number.isNaN(start) ? 'none' : start}, expected ${opts.offset ?? 0}`, 'not-acceptable');
    }
    const len = Number(res.headers['content-length'] ?? NaN);
    if (Number.isFinite(len) && sink.bytes + len > sink.size) {
      res.destroy();
      throw errors.integrity(`server announces ${len} bytes, more than the offered ${sink.size}`);
    }
    try {
      // sink.write throws as soon as the body exceeds the offered size
      await consume(res, (chunk) => {
        const wait = sink.write(chunk);
        opts.onProgress(sink.bytes);
        return wait;
      }, () => false);
    } catch (err) {
      res.destroy();
      if (opts.signal.aborted) throw opts.signal.reason;
      if (err instanceof XferError) throw err;
      const why = idle.fired ? `no data for ${opts.stallTimeoutMs / 1000} s` : (err as Error).message;
      throw new DownloadError(`download broke after ${sink.bytes} bytes: ${why}`, 'item-not-found', idle.fired);
    }
    if (!sink.complete) throw errors.truncated(`body ended after ${sink.bytes} of ${sink.size} bytes`);
    return;
  }
}

/** A link's size from a HEAD request (links that do not carry one); undefined when unknown. */
export async function headSize(url: URL, signal?: AbortSignal, idleMs = 10000): Promise<number | undefined> {
  try {
    const res = await get(url, {}, signal, idleMs, { fired: false }, 'HEAD');
    res.resume();
    const n = Number(res.headers['content-length']);
    return res.statusCode === 200 && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function get(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, idleMs: number, idle: { fired: boolean }, method = 'GET'): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, { method, headers, signal }, resolve);
    req.end();
    // No bytes for idleMs (headers or body): give up rather than hang.
    req.setTimeout(idleMs, () => {
      idle.fired = true;
      req.destroy(new Error(`no data for ${idleMs / 1000} s`));
    });
    req.on('error', reject);
  });
}
