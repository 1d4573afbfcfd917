// The OOB sender's temporary HTTP server: one file, one unguessable path, ranges, then gone.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { request } from 'undici';
import net from 'node:net';
import { MAX_CONNECTIONS, OneFileServer } from '../../src/http/file-server.js';
import { tempDir } from '../helpers/cli.js';

it('serves one file at a 128-bit path: 404 elsewhere, HEAD, Range, closed afterwards', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'a.txt');
  writeFileSync(file, '0123456789');
  const srv = new OneFileServer({ path: file, name: 'a.txt', size: 10 });
  const port = await srv.listen('127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  assert.ok(Buffer.from(srv.token, 'base64url').length >= 16);
  for (const p of ['/', '/a.txt', `/${srv.token}`, `/${srv.token}/b.txt`, `/x${srv.token}/a.txt`]) {
    const r = await request(base + p);
    await r.body.dump();
    assert.equal(r.statusCode, 404, p);
  }
  const head = await request(base + srv.urlPath, { method: 'HEAD' });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['content-length'], '10');
  await head.body.dump();
  const whole = await request(base + srv.urlPath);
  assert.equal(await whole.body.text(), '0123456789');
  const part = await request(base + srv.urlPath, { headers: { range: 'bytes=4-' } });
  assert.equal(part.statusCode, 206);
  assert.equal(part.headers['content-range'], 'bytes 4-9/10');
  assert.equal(await part.body.text(), '456789');
  const bad = await request(base + srv.urlPath, { headers: { range: 'bytes=20-' } });
  assert.equal(bad.statusCode, 416);
  await bad.body.dump();
  const post = await request(base + srv.urlPath, { method: 'POST', body: 'x' });
  assert.equal(post.statusCode, 405);
  await post.body.dump();
  srv.close();
  await assert.rejects(request(base + srv.urlPath, { headersTimeout: 2000 }));
});

it(`at most ${MAX_CONNECTIONS} connections: GETs that never read cannot pile up memory`, async () => {
  const dir = tempDir();
  const file = path.join(dir, 'big.bin');
  writeFileSync(file, Buffer.alloc(8 << 20));
  const server = new OneFileServer({ path: file, name: 'big.bin', size: 8 << 20 });
  const port = await server.listen('127.0.0.1');
  const sockets: net.Socket[] = [];
  try {
    const got = await Promise.all(
      Array.from({ length: 30 }, () =>
        new Promise<'served' | 'refused'>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${server.urlPath} HTTP/1.1\r\nHost: x\r\n\r\n`));
          sockets.push(s);
          s.once('data', () => (s.pause(), resolve('served'))); // then never read on
          s.once('close', () => resolve('refused'));
          s.on('error', () => {});
        }),
      ),
    );
    assert.equal(got.filter((g) => g === 'served').length, MAX_CONNECTIONS);
    assert.equal(server.requests, MAX_CONNECTIONS);
  } finally {
    sockets.forEach((s) => s.destroy());
    server.close();
  }
});
