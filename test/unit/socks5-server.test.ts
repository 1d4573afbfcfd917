// The streamhost's state machine, driven with raw bytes over real loopback sockets.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { StreamhostServer } from '../../src/socks5/server.js';
import { dstAddr } from '../../src/protocol/bytestreams.js';

const HASH = dstAddr('sid1', 'a@localhost/x', 'b@localhost/y');

function request(addr: string, opts: { cmd?: number; atyp?: number; port?: number } = {}): Buffer {
  const a = Buffer.from(addr, 'latin1');
  const port = Buffer.alloc(2);
  port.writeUInt16BE(opts.port ?? 0);
  return Buffer.concat([Buffer.from([5, opts.cmd ?? 1, 0, opts.atyp ?? 3, a.length]), a, port]);
}

/** Send bytes, collect everything until the server closes (or 1.5 s pass). */
function talk(port: number, chunks: Buffer[], waitMs = 1500): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let closed = false;
    s.on('data', (d) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      closed = true;
      resolve({ data: Buffer.concat(got), closed });
    });
    s.on('connect', async () => {
      for (const c of chunks) {
        s.write(c);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    setTimeout(() => {
      s.destroy();
      resolve({ data: Buffer.concat(got), closed });
    }, waitMs);
  });
}

describe('SOCKS5 streamhost server', () => {
  let server: StreamhostServer;
  let port: number;
  let accepted: Promise<net.Socket>;
  before(async () => {
    server = new StreamhostServer({ host: '127.0.0.1', handshakeTimeoutMs: 500 });
    port = (await server.listen()).port;
    accepted = server.expect(HASH);
  });
  after(() => server.close());

  const greeting = Buffer.from([5, 1, 0]);

  it('refuses a client without the no-auth method (05 FF) and closes', async () => {
    const r = await talk(port, [Buffer.from([5, 1, 2])]);
    assert.deepEqual(r.data, Buffer.from([5, 0xff]));
    assert.ok(r.closed);
  });
  it('closes on garbage', async () => {
    const r = await talk(port, [Buffer.from('GET / HTTP/1.1\r\n\r\n')]);
    assert.equal(r.data.length, 0);
    assert.ok(r.closed);
  });
  it('refuses a wrong DST.ADDR (REP 04)', async () => {
    const r = await talk(port, [greeting, request('0'.repeat(40))]);
    assert.deepEqual([...r.data.subarray(0, 4)], [5, 0, 5, 4]);
    assert.ok(r.closed);
  });
  it('refuses a non-zero DST.PORT (REP 02)', async () => {
    const r = await talk(port, [greeting, request(HASH, { port: 1080 })]);
    assert.equal(r.data[3], 2);
    assert.ok(r.closed);
  });
  it('refuses ATYP IPv4 (REP 08)', async () => {
    const r = await talk(port, [greeting, Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, 0, 0])]);
    assert.equal(r.data[3], 8);
    assert.ok(r.closed);
  });
  it('refuses BIND/UDP commands (REP 07)', async () => {
    const r = await talk(port, [greeting, request(HASH, { cmd: 2 })]);
    assert.equal(r.data[3], 7);
    assert.ok(r.closed);
  });
  it('drops a client that stalls in the handshake (slowloris)', async () => {
    const r = await talk(port, [Buffer.from([5])], 1500);
    assert.ok(r.closed, 'closed by the server before the client gave up');
  });
  it('accepts the right hash, split across reads, and echoes it in BND.ADDR', async () => {
    const req = request(HASH);
    const pieces = [greeting.subarray(0, 1), greeting.subarray(1), req.subarray(0, 3), req.subarray(3, 20), req.subarray(20)];
    const r = talk(port, pieces, 800);
    const sock = await accepted;
    sock.write('payload');
    const { data } = await r;
    const reply = Buffer.concat([Buffer.from([5, 0, 5, 0, 0, 3, 40]), Buffer.from(HASH), Buffer.from([0, 0])]);
    assert.deepEqual(data.subarray(0, reply.length), reply);
    assert.equal(data.subarray(reply.length).toString(), 'payload');
    sock.destroy();
  });
  it('refuses a second connection for a hash already used', async () => {
    const r = await talk(port, [greeting, request(HASH)]);
    assert.equal(r.data[3], 4);
    assert.ok(r.closed);
  });
});
