// The sender's streamhost: a SOCKS5 (RFC 1928) server that does exactly what XEP-0065 needs and
// nothing else. No-auth only, CONNECT only, ATYP 3 (domain) only, DST.ADDR must be a hash this
// server is waiting for and DST.PORT 0; everything else is refused and closed. It listens only
// while a transfer needs it (`close()` when done).
//
//   client greeting            server choice
//   +----+----------+---------+  +----+--------+
//   |VER | NMETHODS | METHODS |  |VER | METHOD |
//   +----+----------+---------+  +----+--------+
//   | 05 |    1     | 1..255  |  | 05 | 00/FF  |
//
//   request                                           reply (BND = DST, XEP-0065 §5.3.3)
//   +----+-----+-------+------+-----+----------+----------+  +----+-----+-------+------+-----+------+------+
//   |VER | CMD |  RSV  | ATYP | LEN | DST.ADDR | DST.PORT |  |VER | REP |  RSV  | ATYP | LEN | ADDR | PORT |
//   | 05 | 01  |  00   |  03  | 40  | 40 hex   |  00 00   |  | 05 | 00  |  00   |  03  | 40  | hash | 00 00|
import net from 'node:net';
import { debug } from '../log.js';

const log = debug('xfer:socks5');

const enum State {
  Greeting,
  Request,
  Done,
}

export const REP = { ok: 0x00, failure: 0x01, notAllowed: 0x02, hostUnreachable: 0x04, cmdUnsupported: 0x07, atypUnsupported: 0x08 } as const;

export interface StreamhostServerOptions {
  host: string;
  port?: number;
  handshakeTimeoutMs?: number;
}

export class StreamhostServer {
  private server = net.createServer((s) => this.onConnection(s));
  private waiting = new Map<string, (socket: net.Socket) => void>();
  private used = new Set<string>();
  private sockets = new Set<net.Socket>();
  readonly refused: Array<{ reason: string }> = [];

  constructor(private opts: StreamhostServerOptions) {}

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host, () => resolve());
    });
    const a = this.server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Resolves with the socket of the first client that presents `hash`. */
  expect(hash: string, signal?: AbortSignal): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      this.waiting.set(hash, resolve);
      signal?.addEventListener('abort', () => {
        this.waiting.delete(hash);
        reject(signal.reason);
      });
    });
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
    this.waiting.clear();
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    socket.setNoDelay(true);
    let state = State.Greeting;
    let buf: Buffer = Buffer.alloc(0);
    // Slowloris: a client that does not finish the handshake in time is dropped.
    const timer = setTimeout(() => refuse('handshake timeout'), this.opts.handshakeTimeoutMs ?? 10000);
    const refuse = (reason: string, reply?: Buffer) => {
      clearTimeout(timer);
      state = State.Done;
      this.refused.push({ reason });
      log('refused %s: %s', socket.remoteAddress, reason);
      socket.removeListener('data', onData);
      if (reply) socket.end(reply);
      else socket.destroy();
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (buf.length > 600) return refuse('oversized handshake');
      for (;;) {
        switch (state) {
          case State.Greeting: {
            if (buf.length < 2) return;
            if (buf[0] !== 0x05) return refuse('not SOCKS5');
            const n = buf[1]!;
            if (buf.length < 2 + n) return;
            const methods = buf.subarray(2, 2 + n);
            buf = buf.subarray(2 + n);
            if (!methods.includes(0x00)) return refuse('no acceptable auth method', Buffer.from([0x05, 0xff]));
            socket.write(Buffer.from([0x05, 0x00]));
            state = State.Request;
            continue;
          }
          case State.Request: {
            if (buf.length < 5) return;
            const [ver, cmd, rsv, atyp] = [buf[0], buf[1], buf[2], buf[3]];
            if (ver !== 0x05 || rsv !== 0x00) return refuse('malformed request');
            if (cmd !== 0x01) return refuse(`command ${cmd} not supported`, reply(REP.cmdUnsupported));
            if (atyp !== 0x03) return refuse(`address type ${atyp} not supported`, reply(REP.atypUnsupported));
            const len = buf[4]!;
            if (buf.length < 5 + len + 2) return;
            const addr = buf.subarray(5, 5 + len).toString('latin1');
            const port = buf.readUInt16BE(5 + len);
            const rest = buf.subarray(5 + len + 2);
            if (port !== 0) return refuse(`DST.PORT ${port} is not 0`, reply(REP.notAllowed));
            const take = this.waiting.get(addr);
            if (!take || this.used.has(addr)) return refuse(this.used.has(addr) ? 'hash already used' : 'unknown DST.ADDR', reply(REP.hostUnreachable));
            if (rest.length > 0) return refuse('data before the reply');
            clearTimeout(timer);
            state = State.Done;
            this.used.add(addr);
            this.waiting.delete(addr);
            socket.removeListener('data', onData);
            socket.pause();
            // From here the socket belongs to the transfer: close() must not destroy it.
            this.sockets.delete(socket);
            socket.write(reply(REP.ok, addr));
            take(socket);
            return;
          }
          case State.Done:
            return;
        }
      }
    };
    socket.on('data', onData);
  }
}

function reply(rep: number, addr = ''): Buffer {
  const a = Buffer.from(addr, 'latin1');
  return Buffer.concat([Buffer.from([0x05, rep, 0x00, 0x03, a.length]), a, Buffer.from([0x00, 0x00])]);
}
