// A temporary HTTP server that serves exactly one file at an unguessable path (128 random bits)
// for XEP-0066: GET and HEAD with Content-Length, single byte ranges (resume), 404 for every other
// path. Bound only to the address it advertises; closed by the owner when the transfer ends.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { sendRange } from '../streams/pump.js';
import type { RateLimiter } from '../streams/rate.js';

export interface ServedFile {
  path: string;
  name: string;
  size: number;
}

/**
 * A receiver needs one connection (a HEAD, a retry): a few more are allowed, the rest refused at
 * once. Each GET holds two 1 MiB send buffers, so 200 readers that never read once took the
 * sender from 73 to 472 MiB.
 */
export const MAX_CONNECTIONS = 4;

export class OneFileServer {
  readonly token = randomBytes(16).toString('base64url');
  private server: http.Server;
  private sockets = new Set<net.Socket>();
  sent = 0;
  requests = 0;

  constructor(private file: ServedFile, private onProgress?: (bytes: number) => void, private limiter?: RateLimiter) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.maxConnections = MAX_CONNECTIONS;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get urlPath(): string {
    return `/${this.token}/${encodeURIComponent(this.file.name)}`;
  }

  async listen(host: string, port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requests++;
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.urlPath) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const { size } = this.file;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      const s = m?.[1] ? Number(m[1]) : undefined;
      const e = m?.[2] ? Number(m[2]) : undefined;
      if (!m || (s === undefined && e === undefined) || (s !== undefined && s >= size) || (s !== undefined && e !== undefined && e < s)) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      if (s === undefined) start = Math.max(0, size - e!);
      else {
        start = s;
        end = e === undefined ? size - 1 : Math.min(e, size - 1);
      }
      status = 206;
    }
    const length = size === 0 ? 0 : end - start + 1;
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/octet-stream',
      'content-length': length,
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
    };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    let last = start;
    try {
      await sendRange(this.file.path, start, end + 1, res, (upTo) => {
        this.sent += upTo - last;
        last = upTo;
        this.onProgress?.(upTo);
      }, new AbortController().signal, this.limiter);
      res.end();
    } catch {
      res.destroy();
    }
  }
}
