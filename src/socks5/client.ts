// The connecting side of XEP-0065 (target to any streamhost, initiator to a proxy), over the
// `socks` library: CONNECT to DST.ADDR = hash, DST.PORT = 0, and insist that the reply echoes the
// hash (§5.3.3) so that a streamhost that would accept anything is not trusted with the file.
import type net from 'node:net';
import { SocksClient } from 'socks';
import { errors } from '../errors.js';

export async function connectStreamhost(host: string, port: number, hash: string, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  const { socket, remoteHost } = await SocksClient.createConnection({
    proxy: { host, port, type: 5 },
    command: 'connect',
    destination: { host: hash, port: 0 },
    timeout: timeoutMs,
    existing_socket: undefined,
    set_tcp_nodelay: true,
  } as any);
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
  if (remoteHost && remoteHost.host && remoteHost.host !== hash) {
    socket.destroy();
    throw errors.protocol(`streamhost ${host}:${port} replied with a different address`);
  }
  return socket;
}
