// The connecting side of XEP-0065 (target to any streamhost, initiator to a proxy), over the
// `socks` library: CONNECT to DST.ADDR = hash, DST.PORT = 0, and insist that the reply echoes the
// hash (§5.3.3) so that a streamhost that would accept anything is not trusted with the file.
import net from 'node:net';
import { SocksClient, type SocksClientOptions } from 'socks';
import { errors } from '../errors.js';

const options = (host: string, port: number, hash: string, timeoutMs: number): SocksClientOptions => ({
  proxy: { host, port, type: 5 },
  command: 'connect',
  destination: { host: hash, port: 0 },
  timeout: timeoutMs,
  set_tcp_nodelay: true,
});

function checkReply(socket: net.Socket, remoteHost: { host?: string } | undefined, host: string, port: number, hash: string): void {
  // §5.3.3: the reply echoes DST.ADDR. Anything else, an empty address included, is a streamhost
  // that would connect us to whatever it likes.
  if (remoteHost?.host !== hash) {
    socket.destroy();
    throw errors.protocol(`streamhost ${host}:${port} replied with ${remoteHost?.host ? 'a different' : 'no'} address`);
  }
}

/** A connected bytestream socket, paused, with 'data' events (the initiator's side, tests, bench). */
export async function connectStreamhost(host: string, port: number, hash: string, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  const { socket, remoteHost } = await SocksClient.createConnection(options(host, port, hash, timeoutMs));
  // The socks library resumes the socket on the next turn of the event loop (setImmediate after
  // 'established'); bytes flowing before our reader is attached would be lost. Let it, then
  // pause: the socket stays quiet until the transfer reads it.
  await new Promise((r) => setImmediate(r));
  socket.pause();
  // The library drops its own error listener once connected. A reset while nobody reads (say,
  // waiting for the proxy's activation) must not be an uncaught 'error'; readers still see it.
  socket.on('error', () => {});
  if (signal?.aborted) {
    socket.destroy();
    throw signal.reason;
  }
  checkReply(socket, remoteHost, host, port, hash);
  return socket;
}

/** Takes each read; the view is valid only during the call. Returning false stops reading (the socket stays paused). */
export type LentReader = (view: Buffer) => boolean | void;

export interface ReadingSocket {
  socket: net.Socket;
  /** Start reading into `reader` (bytes that came early are passed first); a throw destroys the socket with that error. */
  read(reader: LentReader): void;
}

// One read buffer for every receiving socket in the process. Each read is used up (hashed and
// written, or copied) before its callback returns, and libuv reads sockets one at a time on this
// thread, so no read can land in it while another is still being used. Nothing per socket also
// means nothing held by a socket that lingers: the socks library keeps each client (and its
// socket) referenced until its handshake timer fires, seconds after the transfer ended.
let readBuffer: Buffer | undefined;

/**
 * The target's side: a socket whose reads land in one reused 1 MiB buffer (net's `onread`)
 * instead of a fresh 64 KiB Buffer per read. At 512 MiB that was ~8,000 allocations, their page
 * faults and major GCs on the receiver, which waits for nothing else (see FileSink.writeNow).
 * The SOCKS5 handshake still goes through the `socks` library: its bytes are copied into the
 * 'data' events it listens to, and only bytes after 'established' go to the reader.
 */
export async function connectStreamhostForReading(host: string, port: number, hash: string, timeoutMs: number, signal?: AbortSignal): Promise<ReadingSocket> {
  if (signal?.aborted) throw signal.reason;
  let handshaking = true;
  let reader: LentReader | undefined;
  const early: Buffer[] = [];
  const socket: net.Socket = net.connect({
    host,
    port,
    noDelay: true,
    onread: {
      buffer: (readBuffer ??= Buffer.allocUnsafeSlow(1 << 20)),
      callback: (n: number, buf: Uint8Array): boolean => {
        const view = Buffer.from(buf.buffer, buf.byteOffset, n);
        if (handshaking) {
          socket.emit('data', Buffer.from(view));
          return true;
        }
        if (!reader) {
          early.push(Buffer.from(view));
          return false;
        }
        try {
          return reader(view) !== false;
        } catch (err) {
          socket.destroy(err as Error);
          return false;
        }
      },
    },
  });
  socket.on('error', () => {}); // see connectStreamhost; readers attach their own
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => socket.destroy(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(errors.transfer(`streamhost ${host}:${port} did not accept a connection within ${timeoutMs} ms`)), timeoutMs);
      socket.once('connect', resolve);
      socket.once('close', () => reject(signal?.aborted ? signal.reason : errors.transfer(`streamhost ${host}:${port} closed the connection`)));
      socket.once('error', reject);
    });
    const remoteHost = await new Promise<{ host?: string } | undefined>((resolve, reject) => {
      const client = new SocksClient({ ...options(host, port, hash, Math.max(1, timeoutMs - (Date.now() - started))), existing_socket: socket });
      client.once('established', (info) => {
        handshaking = false;
        // The library passes on bytes that came with its last reply as 'data' (next turn).
        socket.on('data', (d: Buffer) => early.push(d));
        resolve(info.remoteHost);
      });
      client.once('error', reject);
      client.connect(socket);
    });
    await new Promise((r) => setImmediate(r));
    socket.pause();
    if (signal?.aborted) throw signal.reason;
    checkReply(socket, remoteHost, host, port, hash);
  } catch (err) {
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  return {
    socket,
    read(r) {
      reader = r;
      try {
        for (const b of early.splice(0)) if (r(b) === false) return;
      } catch (err) {
        socket.destroy(err as Error);
        return;
      }
      socket.resume();
    },
  };
}
