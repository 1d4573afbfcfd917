// The target's SOCKS5 client (connectStreamhostForReading) against scripted streamhosts on
// loopback: bytes sent together with the reply or before anyone reads are not lost, a reader's
// throw ends the socket with that error, and a streamhost that never answers costs only the timeout.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { connectStreamhost, connectStreamhostForReading } from '../../src/socks5/client.js';
import { dstAddr } from '../../src/protocol/bytestreams.js';

const HASH = dstAddr('sid1', 'a@localhost/x', 'b@localhost/y');

function reply(hash: string): Buffer {
  const a = Buffer.from(hash, 'latin1');
  return Buffer.concat([Buffer.from([5, 0, 0, 3, a.length]), a, Buffer.from([0, 0])]);
}

/** A streamhost that answers the handshake with `replyHash` and then runs `after(socket)`. */
function streamhost(replyHash: string, then: (s: net.Socket, replyBytes: Buffer) => void): Promise<net.Server> {
  const server = net.createServer((s) => {
    let got = Buffer.alloc(0);
    let stage = 0;
    s.on('error', () => {});
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (stage === 0 && got.length >= 3) {
        s.write(Buffer.from([5, 0]));
        got = got.subarray(3);
        stage = 1;
      }
      if (stage === 1 && got.length >= 5 && got.length >= 5 + got[4]! + 2) {
        stage = 2;
        then(s, reply(replyHash));
      }
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const servers: net.Server[] = [];
after(() => servers.forEach((s) => s.close()));

describe('SOCKS5 client (target side, reads into a lent buffer)', () => {
  it('passes on bytes that came with the reply and before read(), then the rest, in order', async () => {
    const body = randomBytes(3 << 20);
    const server = await streamhost(HASH, (s, r) => {
      s.write(Buffer.concat([r, body.subarray(0, 1000)])); // data in the same segment as the reply
      setTimeout(() => s.write(body.subarray(1000, 200_000)), 20); // data before anyone reads
      setTimeout(() => s.end(body.subarray(200_000)), 150);
    });
    servers.push(server);
    const rs = await connectStreamhostForReading('127.0.0.1', portOf(server), HASH, 2000);
    await new Promise((r) => setTimeout(r, 100));
    const h = createHash('sha256');
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      rs.socket.once('end', resolve);
      rs.socket.once('error', reject);
      rs.socket.allowHalfOpen = true;
      rs.read((view) => {
        h.update(view);
        n += view.length;
      });
    });
    rs.socket.destroy();
    assert.equal(n, body.length);
    assert.equal(h.digest('hex'), createHash('sha256').update(body).digest('hex'));
  });

  it('two sockets reading at once (they share one read buffer) each get their own bytes', async () => {
    const bodies = [randomBytes(4 << 20), randomBytes(4 << 20)];
    const got = await Promise.all(
      bodies.map(async (body) => {
        const server = await streamhost(HASH, (s, r) => {
          s.write(r);
          setTimeout(() => s.end(body), 50);
        });
        servers.push(server);
        const rs = await connectStreamhostForReading('127.0.0.1', portOf(server), HASH, 2000);
        const h = createHash('sha256');
        await new Promise<void>((resolve, reject) => {
          rs.socket.allowHalfOpen = true;
          rs.socket.once('end', resolve);
          rs.socket.once('error', reject);
          rs.read((view) => {
            h.update(view);
          });
        });
        rs.socket.destroy();
        return h.digest('hex');
      }),
    );
    assert.deepEqual(got, bodies.map((b) => createHash('sha256').update(b).digest('hex')));
  });

  it('a throw from the reader destroys the socket with that error', async () => {
    const server = await streamhost(HASH, (s, r) => s.write(Buffer.concat([r, Buffer.alloc(10)])));
    servers.push(server);
    const rs = await connectStreamhostForReading('127.0.0.1', portOf(server), HASH, 2000);
    const err = await new Promise<Error>((resolve) => {
      rs.socket.once('error', resolve);
      rs.read(() => {
        throw new Error('sink says no');
      });
    });
    assert.equal(err.message, 'sink says no');
    assert.ok(rs.socket.destroyed);
  });

  it('refuses a reply that names another address', async () => {
    const server = await streamhost('0'.repeat(40), (s, r) => s.write(r));
    servers.push(server);
    await assert.rejects(connectStreamhostForReading('127.0.0.1', portOf(server), HASH, 2000), /different address/);
  });

  it('gives up on a silent streamhost after its timeout', async () => {
    const server = net.createServer((s) => s.on('error', () => {})); // accepts, never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    servers.push(server);
    const t0 = Date.now();
    await assert.rejects(connectStreamhostForReading('127.0.0.1', portOf(server), HASH, 300));
    const took = Date.now() - t0;
    assert.ok(took >= 250 && took < 2000, `took ${took} ms`);
  });

  it('stops at once when the transfer is cancelled', async () => {
    const server = net.createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    servers.push(server);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by test')), 50);
    await assert.rejects(connectStreamhostForReading('127.0.0.1', portOf(server), HASH, 5000, ac.signal), /cancelled by test/);
  });

  for (const [label, answer] of [['an empty BND.ADDR', ''], ['another address', 'f'.repeat(40)]] as const) {
    it(`a reply with ${label} instead of the hash is refused (both connect functions)`, async () => {
      const server = await streamhost(answer, (s, r) => s.write(r));
      servers.push(server);
      await assert.rejects(connectStreamhostForReading('127.0.0.1', portOf(server), HASH, 2000), /replied with/);
      await assert.rejects(connectStreamhost('127.0.0.1', portOf(server), HASH, 2000), /replied with/);
    });
  }
});
