// The ceilings `npm run bench` measures next to xfer, in the same run on the same machine: a raw
// loopback copy (socat), the smallest receiver that does xfer's receiving work (Python), a node
// pipe, curl from the OOB file server, and Prosody's proxy65 relaying two raw SOCKS5 connections.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { OneFileServer } from '../src/http/file-server.js';
import { connect } from '../src/xmpp/session.js';
import { proxyAddress } from '../src/negotiation/proxies.js';
import { buildActivate, dstAddr } from '../src/protocol/bytestreams.js';
import { connectStreamhost } from '../src/socks5/client.js';
import { NS } from '../src/protocol/ns.js';
import { buildSlotRequest, parseSlot } from '../src/protocol/upload.js';

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** Who talks to the fixture for the proxy ceiling. */
export interface Fixture { env: Record<string, string>; domain: string; tx: string; rx: string }

export interface Ceilings {
  /** socat file -> TCP -> file (the primary ceiling for SOCKS5 direct and IBB) */
  tcp: number;
  /** socat file -> TCP -> /dev/null */
  tcpNull: number;
  /** node net pipe in one process, into memory */
  nodePipe: number;
  /** socat -> minimal Python receiver that hashes (sha-256) and writes: a reference, not a ceiling */
  hashing: number;
  /** curl -o file from the OOB file server (the ceiling for OOB) */
  curl: number;
  /** curl -o /dev/null */
  curlNull: number;
  /** curl PUT to the fixture's upload service + curl GET back (the ceiling for HTTP upload) */
  upload: number;
  /** two raw SOCKS5 connections through Prosody's proxy65 */
  proxy: number;
}

/**
 * Every timed run starts with the page cache written back: without it the kernel writes the
 * previous run's 512 MiB (and discards the deleted file's blocks) during the next one, on the
 * same two cores, and a run measured 40 % or 90 % of its ceiling depending on that alone.
 */
export function settle(): void {
  execFileSync('sync');
}

export const hasSocat = (() => {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Ceiling 1: a raw loopback TCP copy with socat (64 KiB buffer, two processes), into a file in
 * the same temporary directory xfer receives into — the same job minus XMPP and hashing — and,
 * for reference, into /dev/null (TCP alone, no disk).
 */
export async function socatCeiling(file: string, size: number, sink: 'file' | 'null', dir: string): Promise<number> {
  if (!hasSocat) return NaN;
  settle();
  const port = await freePort();
  const dest = sink === 'file' ? path.join(dir, 'socat.out') : '/dev/null';
  const rx = spawn('socat', ['-b65536', '-u', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `OPEN:${dest},creat,trunc`], { stdio: 'ignore' });
  const rxDone = new Promise<number | null>((r) => rx.on('close', r));
  await waitListening(port);
  const t0 = performance.now();
  const tx = spawn('socat', ['-b65536', '-u', `OPEN:${file}`, `TCP:127.0.0.1:${port}`], { stdio: 'ignore' });
  const [a, b] = await Promise.all([new Promise<number | null>((r) => tx.on('close', r)), rxDone]);
  const secs = seconds(t0);
  if (sink === 'file') rmSync(dest, { force: true });
  return a === 0 && b === 0 ? size / 1048576 / secs : NaN;
}

// The smallest receiver that does xfer's receiving work: read the socket into one reused 1 MiB
// buffer, sha-256 it (OpenSSL, as Node's), write it to a file; it prints its own seconds from
// connect to digest, comparable to xfer's data phase.
const HASHING_RECEIVER = `
import hashlib, socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
t0 = time.monotonic(); h = hashlib.sha256(); mv = memoryview(bytearray(1 << 20))
with open(sys.argv[2], 'wb', buffering=0) as f:
    while True:
        n = s.recv_into(mv)
        if not n: break
        h.update(mv[:n]); f.write(mv[:n])
h.hexdigest(); print(time.monotonic() - t0)
`;

/**
 * Reference 1c (not a ceiling: it does more work than socat): socat sends, that minimal Python
 * receiver hashes and writes. What any receiver that verifies sha-256 can do on this machine.
 */
export async function hashingReceiver(file: string, size: number, dir: string): Promise<number> {
  if (!hasSocat) return NaN;
  settle();
  const port = await freePort();
  const dest = path.join(dir, 'py.out');
  const tx = spawn('socat', ['-b65536', '-u', `OPEN:${file}`, `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`], { stdio: 'ignore' });
  const txDone = new Promise<number | null>((r) => tx.on('close', r));
  await waitListening(port);
  const out = await new Promise<string>((resolve, reject) =>
    execFile('python3', ['-c', HASHING_RECEIVER, String(port), dest], (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  await txDone;
  rmSync(dest, { force: true });
  return size / 1048576 / Number(out);
}

/** Ceiling 1b: a minimal node `net` pipe, both ends in this process, into memory. */
export async function nodePipeCeiling(file: string, size: number): Promise<number> {
  const srv = net.createServer((s) => {
    s.on('data', () => {});
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1', async () => {
      const { createReadStream } = await import('node:fs');
      createReadStream(file, { highWaterMark: 64 << 10 }).pipe(c);
    });
    c.on('data', () => {});
    c.on('close', () => resolve());
  });
  srv.close();
  return size / 1048576 / seconds(t0);
}

/** Ceiling 2: curl fetching the file from a local HTTP server (the one OOB uses), into a file in the receive directory's filesystem, and into /dev/null. */
export async function curlCeiling(file: string, size: number, sink: 'file' | 'null', dir: string): Promise<number> {
  settle();
  const srv = new OneFileServer({ path: file, name: 'f', size });
  const port = await srv.listen('127.0.0.1');
  const dest = sink === 'file' ? path.join(dir, 'curl.out') : '/dev/null';
  // async: the server runs in this process, so a synchronous curl would wait for itself.
  const out = await new Promise<string>((resolve, reject) =>
    execFile('curl', ['-s', '-o', dest, '-w', '%{time_total}', `http://127.0.0.1:${port}${srv.urlPath}`], (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  srv.close();
  if (sink === 'file') rmSync(dest, { force: true });
  return size / 1048576 / Number(out);
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

// socat -u TCP-LISTEN accepts exactly one connection, so a probe connection would use it up:
// watch the kernel's socket table for the listener instead.
export async function waitListening(port: number): Promise<void> {
  const want = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (let i = 0; i < 250; i++) {
    const listening = readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => l.includes(want) && l.trim().split(/\s+/)[3] === '0A');
    if (listening) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`socat did not listen on ${port}`);
}

/** Ceiling 3: what the fixture's proxy65 relays, two raw SOCKS5 connections activated by hand. */
export async function proxyCeiling(file: string, size: number, fx: Fixture): Promise<number> {
  const { env, domain: DOMAIN, tx: TX, rx: RX } = fx;
  const session = await connect({ jid: `${TX}@${DOMAIN}`, password: `${TX}-secret`, server: env.XFER_TEST_SERVER!, ca: readFileSync(env.XFER_TEST_CA!) });
  try {
    const proxyJid = env.XFER_TEST_PROXY!;
    const sh = await proxyAddress(session, proxyJid);
    if (!sh) return NaN;
    const sid = `bench-${randomBytes(6).toString('hex')}`;
    const target = `${RX}@${DOMAIN}/bench`;
    const hash = dstAddr(sid, session.jid, target);
    const t = await connectStreamhost(sh.host, sh.port, hash, 5000);
    const i = await connectStreamhost(sh.host, sh.port, hash, 5000);
    await session.iq(proxyJid, 'set', buildActivate(sid, target), 5000);
    const t0 = performance.now();
    let got = 0;
    const done = new Promise<void>((resolve) => {
      t.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= size) resolve();
      });
      t.on('close', () => resolve());
      t.resume(); // connectStreamhost hands sockets over paused
    });
    const { createReadStream } = await import('node:fs');
    createReadStream(file, { highWaterMark: 64 << 10 }).pipe(i);
    await done;
    const secs = (performance.now() - t0) / 1000;
    t.destroy();
    i.destroy();
    return got >= size ? size / 1048576 / secs : NaN;
  } finally {
    await session.close();
  }
}

/**
 * Ceiling 4, for HTTP upload: curl PUTting the file to a slot of the fixture's own upload service,
 * then curl GETting it into the receive directory's filesystem. The same server work xfer's upload
 * and download cause, with nothing of xfer's: `{ put, get }` in seconds.
 */
export async function uploadCeiling(file: string, size: number, dir: string, fx: Fixture): Promise<{ put: number; get: number }> {
  const { env, domain: DOMAIN, tx: TX } = fx;
  const session = await connect({ jid: `${TX}@${DOMAIN}`, password: `${TX}-secret`, server: env.XFER_TEST_SERVER!, ca: readFileSync(env.XFER_TEST_CA!) });
  let slot;
  try {
    slot = parseSlot((await session.iq(`upload.${DOMAIN}`, 'get', buildSlotRequest(`ceiling-${randomBytes(4).toString('hex')}.bin`, size), 15000)).getChild('slot', NS.upload));
  } finally {
    await session.close();
  }
  if (!slot) throw new Error('no upload slot');
  const curl = (args: string[]) =>
    new Promise<number>((resolve, reject) => execFile('curl', ['-sf', '-w', '%{time_total}', ...args], (err, stdout) => (err ? reject(err) : resolve(Number(stdout)))));
  const headers = Object.entries(slot.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  // `Expect:` off: Prosody sends no 100 Continue, and curl would wait a second for it on every PUT.
  const put = await curl(['-o', '/dev/null', '-T', file, '-H', 'Expect:', '-H', 'Content-Type: application/octet-stream', ...headers, slot.put]);
  settle();
  const dest = path.join(dir, 'curl-get.out');
  const get = await curl(['-o', dest, slot.get]);
  rmSync(dest, { force: true });
  return { put, get };
}
