// The processes `npm run bench` times: two xfer CLIs (and slixmpp's as the third-party sender)
// against a server, each under GNU time for its peak RSS, their JSON events timestamped as read.
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { settle } from './ceilings.js';
import { jsonLines } from '../test/helpers/json-lines.js';
import { ROOT } from '../test/helpers/paths.js';

export { ROOT };

/** A server to run against: the tuned fixture, or a stock-profile one. */
export interface Target { name: string; server: string; ca: string; domain: string }

export interface Proc { events: any[]; code: number | null; rssKiB: number; started: number; ended: number; wait(ev: string): Promise<any> }

const conn = (u: string, t: Target) => ['--jid', `${u}@${t.domain}`, '--server', t.server, '--ca', t.ca, '--json'];

/** `cancelled`: this run is stopped on purpose (a crawl measured for a while): its failure is not news. */
export function run(user: string, argv: string[], t: Target, env: Record<string, string> = {}, cancelled = false): { p: Proc; done: Promise<Proc>; stop: () => void } {
  // GNU time reports the peak RSS (KiB) of the CLI process on stderr as its last line.
  const child = spawn('/usr/bin/time', ['-f', 'RSS %M', process.execPath, path.join(ROOT, 'bin/xfer'), ...argv, ...conn(user, t)], {
    env: { ...process.env, XFER_PASSWORD: `${user}-secret`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { events: [], code: null, rssKiB: 0, started: performance.now(), ended: NaN, wait: () => Promise.resolve() };
  const waiters: Array<[string, (e: any) => void]> = [];
  jsonLines(child.stdout, (e) => {
    e.t = performance.now();
    p.events.push(e);
    waiters.filter(([n]) => n === e.event).forEach(([, f]) => f(e));
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  p.wait = (ev) => new Promise((r) => waiters.push([ev, r]));
  const done = new Promise<Proc>((resolve) =>
    child.on('close', (code) => {
      p.code = code;
      p.ended = performance.now();
      p.rssKiB = Number(/RSS (\d+)/.exec(err)?.[1] ?? 0);
      if (code !== 0 && !cancelled) process.stderr.write(`bench: ${argv[0]} exited ${code}: ${p.events.find((e) => e.event === 'error')?.message ?? err.slice(-400)}\n`);
      resolve(p);
    }),
  );
  // SIGINT to the CLI (not to GNU time): it cancels cleanly and exits 130.
  return { p, done, stop: () => void execFile('pkill', ['-INT', '-P', String(child.pid)], () => {}) };
}

export interface Transfer {
  /** both CLIs, from the sender's start to the later exit (the receiver is already listening) */
  wall: number;
  /** the sender process alone, start to exit */
  txWall: number;
  /** the data phase: receiver's seconds (HTTP upload: the sender's PUT plus the receiver's GET) */
  seconds: number;
  bytes: number;
  method: string;
  protocol?: string;
  txRss: number;
  rxRss: number;
  ttfb: number;
}

/** Who sends and who receives (`--users`: the smoke bench runs beside other tests). */
export const users = { tx: 'alice', rx: 'bob' };

/** One file from alice to bob, both xfer CLIs; throws if either fails. */
export async function transfer(t: Target, file: string, sendArgs: string[], env: Record<string, string> = {}): Promise<Transfer> {
  settle();
  const out = mkdtempSync(path.join(tmpdir(), 'xfer-bench-rx-'));
  // Upload links go to the bare JID: a receiver takes those only at priority >= 0.
  const upload = sendArgs.includes('upload');
  const rx = run(users.rx, ['receive', '-o', out, '--from', `${users.tx}@${t.domain}`, '--once', '--timeout', '600', ...(upload ? ['--priority', '0'] : [])], t, env);
  await rx.p.wait('listening');
  const tx = run(users.tx, ['send', file, `${users.rx}@${t.domain}`, ...sendArgs], t, env);
  // A sender that failed (say, an upload slot refused) leaves a receiver waiting for --timeout.
  void tx.done.then((s) => s.code !== 0 && rx.stop());
  const [s, r] = await Promise.all([tx.done, rx.done]);
  rmSync(out, { recursive: true, force: true });
  const done = r.events.find((e) => e.event === 'done');
  const sent = s.events.find((e) => e.event === 'done');
  const accepted = r.events.find((e) => e.event === 'accepted');
  const first = r.events.find((e) => e.event === 'progress');
  if (s.code !== 0 || r.code !== 0 || !done) throw new Error(`${t.name}: send ${sendArgs.join(' ')} failed`);
  return {
    wall: (Math.max(s.ended, r.ended) - s.started) / 1000,
    txWall: (s.ended - s.started) / 1000,
    seconds: upload ? done.seconds + sent.seconds : done.seconds,
    bytes: done.bytes,
    method: done.method,
    protocol: done.protocol,
    txRss: s.rssKiB,
    rxRss: r.rssKiB,
    ttfb: first && accepted ? (first.t - accepted.t) / 1000 : NaN,
  };
}

export function makeFile(dir: string, size: number): string {
  const f = path.join(dir, `bench-${size}.bin`);
  const fd = openSync(f, 'w');
  for (let left = size; left > 0; left -= 1 << 20) writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
  closeSync(fd);
  return f;
}

/**
 * slixmpp (Debian python3-slixmpp, through test/interop/slix_peer.py) sending over SI with its
 * shipped defaults into `xfer receive`. `forMs`: stop after that long (a crawl through a stock
 * server's rate limit) and rate what arrived by then. Returns the sender process's wall time and
 * the data rate the receiver saw (MiB/s).
 */
export async function slixmppSend(t: Target, file: string, method: 'ibb' | 's5b', forMs = 300_000): Promise<{ txWall: number; mibs: number }> {
  const out = mkdtempSync(path.join(tmpdir(), 'xfer-bench-rx-'));
  const rx = run(users.rx, ['receive', '-o', out, '--from', `${users.tx}@${t.domain}`, '--once', '--retry-grace', '0', '--timeout', String(forMs / 1000 + 60)], t, {}, forMs < 300_000);
  await rx.p.wait('listening');
  const t0 = performance.now();
  const tx = spawn('/usr/bin/python3', [path.join(ROOT, 'test/interop/slix_peer.py'), 'send', '--jid', `${users.tx}@${t.domain}/slix`, '--password', `${users.tx}-secret`, '--server', t.server, '--ca', t.ca, '--method', method, '--to', `${users.rx}@${t.domain}`, '--file', file, '--timeout', String(forMs / 1000 + 30)], { stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => tx.on('close', res));
  const timer = setTimeout(() => tx.kill('SIGTERM'), forMs);
  const code = await exited;
  const txWall = (performance.now() - t0) / 1000;
  clearTimeout(timer);
  const r = await rx.done;
  rmSync(out, { recursive: true, force: true });
  return { txWall: code === 0 ? txWall : NaN, mibs: rateSeen(r) };
}

/** MiB/s of the data the receiver took in, from its accepted event to its last progress (or done). */
export function rateSeen(r: Proc): number {
  const done = r.events.find((e) => e.event === 'done');
  if (done) return done.bytes / 1048576 / done.seconds;
  const accepted = r.events.find((e) => e.event === 'accepted');
  const last = r.events.filter((e) => e.event === 'progress').at(-1);
  return accepted && last ? last.bytes / 1048576 / ((last.t - accepted.t) / 1000) : NaN;
}
