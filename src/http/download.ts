// Fetching a URL a peer gave us, into a FileSink: http/https only, redirects only within the same
// origin (at most 3), cut off as soon as the body is longer than offered.
//
// The response is read by our own strict reader (response.ts) from the socket: over plain http
// into one reused 1 MiB buffer (net's `onread`), each view hashed and written before the next
// read; over https from the TLS socket's chunks. Why not node:http: a fresh Buffer per read
// (~40 MiB of a download's peak RSS, a third of OOB's throughput). Why not undici: its HTTP/1
// parser asserted (uncatchably) when a server closed the connection while the body was paused
// (nodejs/undici#5360, fixed only in undici 8, which needs Node 22), and its WASM costs ~50 MiB.
import net from 'node:net';
import tls from 'node:tls';
import { errors, XferError } from '../errors.js';
import type { FileSink } from '../files/sink.js';
import { HttpParseError, ResponseReader, type Head } from './response.js';

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
    const redirect = await fetch(url, 'GET', headers, opts.signal, opts.stallTimeoutMs, (head) => {
      const status = head.status;
      if (status >= 300 && status < 400) return head.headers.get('location') ?? '';
      if (status !== 200 && status !== 206) throw new DownloadError(`HTTP ${status} from ${url.host}`, 'item-not-found');
      // Resuming: only a 206 that starts exactly where our bytes end may be appended.
      const start = status === 206 ? Number(/^bytes (\d+)-/.exec(head.headers.get('content-range') ?? '')?.[1] ?? NaN) : 0;
      if (start !== (opts.offset ?? 0)) throw new DownloadError(`server answered range ${Number.isNaN(start) ? 'none' : start}, expected ${opts.offset ?? 0}`, 'not-acceptable');
      const len = Number(head.headers.get('content-length') ?? NaN);
      if (Number.isFinite(len) && sink.bytes + len > sink.size) throw errors.integrity(`server announces ${len} bytes, more than the offered ${sink.size}`);
      return {
        // throws as soon as the body exceeds the offered size; synchronous: the view is reused
        body: (view: Buffer) => {
          sink.writeNow(view);
          opts.onProgress(sink.bytes);
        },
        end: () => {
          if (!sink.complete) throw errors.truncated(`body ended after ${sink.bytes} of ${sink.size} bytes`);
        },
      };
    });
    if (redirect === undefined) return;
    const next = redirect ? new URL(redirect, url) : undefined;
    if (!next || next.origin !== origin) throw new DownloadError(`redirect to another host refused (${next?.host ?? 'no location'})`, 'not-acceptable');
    if (hop >= 3) throw new DownloadError('too many redirects', 'not-acceptable');
    url = checkUrl(next.href);
  }
}

/**
 * A link's size from a HEAD request (links that do not carry one): undefined when the server did
 * not say; a DownloadError when it could not be asked (refused, TLS not verified, garbage).
 */
export async function headSize(url: URL, signal?: AbortSignal, idleMs = 10000): Promise<number | undefined> {
  let size: number | undefined;
  await fetch(url, 'HEAD', {}, signal, idleMs, (head) => {
    const n = Number(head.headers.get('content-length'));
    if (head.status === 200 && Number.isSafeInteger(n) && n >= 0) size = n;
    return '';
  });
  return size;
}

class Stalled extends Error {}

/** fetch()'s failures as what the caller reports: a verdict from a handler or a cancel passes through. */
function asDownloadError(err: unknown, url: URL, idleMs: number): unknown {
  if (err instanceof XferError) return err;
  if (err instanceof HttpParseError) return new DownloadError(`bad HTTP response from ${url.host}: ${err.message}`, 'not-acceptable');
  if (err instanceof Stalled) return new DownloadError(`no data from ${url.host} for ${idleMs / 1000} s`, 'item-not-found', true);
  return new DownloadError(`cannot fetch ${url.host}: ${(err as Error).message}`, 'item-not-found');
}

/** What to do with a response head: a redirect's Location (a string), or where the body goes. */
type OnHead = (head: Head) => string | { body: (view: Buffer) => void; end: () => void };

// As the SOCKS5 receiver's (socks5/client.ts): fewer, larger reads.
const READ_BUFFER = 1 << 20;

/**
 * One request on its own connection (Connection: close). Resolves with the Location of a
 * redirect, or undefined once the body has ended; rejects with a DownloadError (or the handlers'
 * own XferError, or the cancel's reason) on anything else.
 */
function fetch(url: URL, method: 'GET' | 'HEAD', headers: Record<string, string>, signal: AbortSignal | undefined, idleMs: number, onHead: OnHead): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, location?: string) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(signal?.aborted ? signal.reason : asDownloadError(err, url, idleMs));
      else resolve(location);
    };
    let sink: ReturnType<OnHead> | undefined;
    const reader = new ResponseReader({
      onHead: (head) => {
        sink = onHead(head);
        if (typeof sink === 'string') {
          finish(undefined, sink);
          return false;
        }
        return method !== 'HEAD';
      },
      onBody: (view) => (sink as Exclude<ReturnType<OnHead>, string>).body(view),
      onEnd: () => {
        (sink as Exclude<ReturnType<OnHead>, string>).end();
        finish(undefined);
      },
    });
    const feed = (view: Buffer) => {
      if (settled) return;
      try {
        reader.push(view);
      } catch (err) {
        finish(err);
      }
    };
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const socket: net.Socket =
      url.protocol === 'https:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] }).on('data', feed)
        : net.connect({ host, port, onread: {
            buffer: Buffer.allocUnsafeSlow(READ_BUFFER),
            callback: (n: number, buf: Uint8Array): boolean => {
              feed(Buffer.from(buf.buffer, buf.byteOffset, n));
              return true;
            },
          },
        });
    const onAbort = () => finish(signal!.reason);
    if (signal?.aborted) return finish(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(idleMs, () => finish(new Stalled()));
    socket.on('error', (err) => finish(err));
    socket.on('end', () => {
      if (settled) return;
      try {
        reader.end();
      } catch (err) {
        finish(err);
      }
    });
    socket.on('close', () => finish(new Error('connection closed')));
    const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'User-Agent: xfer', 'Accept-Encoding: identity', 'Connection: close'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}
