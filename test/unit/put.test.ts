// The upload PUT (src/http/put.ts) against real local HTTP servers that behave and that do not:
// the bytes that arrive are the file's, and every failure ends promptly with a clear error.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { putFile } from '../../src/http/put.js';

const dir = mkdtempSync(path.join(tmpdir(), 'xfer-put-'));
const body = randomBytes(3 * 256 * 1024 + 12345); // several chunks, the last one short
const file = path.join(dir, 'f.bin');
writeFileSync(file, body);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function serve(handler: http.RequestListener): Promise<{ url: URL; close: () => void }> {
  const srv = http.createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: new URL(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/slot/f.bin`), close: () => srv.close() && srv.closeAllConnections() };
}
const opts = (o: Partial<Parameters<typeof putFile>[3]> = {}) => ({ headers: { 'content-type': 'application/octet-stream' }, signal: new AbortController().signal, idleMs: 2000, onProgress: () => {}, ...o });

describe('putFile', () => {
  const servers: Array<{ close: () => void }> = [];
  after(() => servers.forEach((s) => s.close()));

  it('sends exactly the file with its length, reports progress, returns the status', async () => {
    let got: Buffer | undefined;
    let length: string | undefined;
    const s = await serve((req, res) => {
      const parts: Buffer[] = [];
      length = req.headers['content-length'];
      req.on('data', (d) => parts.push(d)).on('end', () => {
        got = Buffer.concat(parts);
        res.writeHead(201).end();
      });
    });
    servers.push(s);
    const seen: number[] = [];
    assert.equal(await putFile(s.url, file, body.length, opts({ onProgress: (b) => seen.push(b) })), 201);
    assert.equal(length, String(body.length));
    assert.equal(sha(got!), sha(body));
    assert.equal(seen.at(-1), body.length);
  });

  it('a server that refuses at once (413, connection closed): a status or a clear error, no hang', async () => {
    const s = await serve((_req, res) => res.writeHead(413, { connection: 'close' }).end());
    servers.push(s);
    const r = await putFile(s.url, file, body.length, opts()).then((status) => status, (e) => e);
    assert.ok(r === 413 || r.code === 'ETRANSFER', String(r));
  });

  it('a server that takes the connection and never answers: ESTALL after the idle time', async () => {
    const s = await serve(() => {});
    servers.push(s);
    const t0 = Date.now();
    await assert.rejects(putFile(s.url, file, body.length, opts({ idleMs: 300 })), (e: any) => e.code === 'ESTALL');
    assert.ok(Date.now() - t0 < 5000);
  });

  it('cancelled: rejects with the reason', async () => {
    const s = await serve(() => {});
    servers.push(s);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 100);
    await assert.rejects(putFile(s.url, file, body.length, opts({ signal: ac.signal })), /stop/);
  });

  it('a file shorter than announced (it shrank): EFILE, the request torn down', async () => {
    const s = await serve((req) => req.resume());
    servers.push(s);
    await assert.rejects(putFile(s.url, file, body.length + 1000, opts()), (e: any) => e.code === 'EFILE' && /shrank/.test(e.message));
  });

  it('nothing listening: ETRANSFER naming the host', async () => {
    const s = await serve(() => {});
    s.close();
    await assert.rejects(putFile(s.url, file, body.length, opts()), (e: any) => e.code === 'ETRANSFER' && e.message.includes('127.0.0.1'));
  });
});
