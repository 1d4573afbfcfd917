// npm run bench: throughput, latency and memory of every xfer method, as two real CLI processes
// through the fixture Prosody, next to the ceilings measured in the same run on the same machine
// (raw loopback TCP copy, curl from a local HTTP server). Writes bench/results.md, .json and
// throughput.svg. `--quick` is a smoke run (exercised by the test suite so that it cannot rot).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { OneFileServer } from '../src/http/file-server.js';
import { connect } from '../src/xmpp/session.js';
import { proxyAddress } from '../src/negotiation/proxies.js';
import { buildActivate, dstAddr } from '../src/protocol/bytestreams.js';
import { connectStreamhost } from '../src/socks5/client.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const flag = (n: string) => args.includes(n);
const opt = (n: string, d: string) => (args.includes(n) ? args[args.indexOf(n) + 1]! : d);
const QUICK = flag('--quick');
const parseSize = (s: string) => Number(s.replace(/[KMG]$/i, '')) * ({ K: 1024, M: 1 << 20, G: 1 << 30 }[s.slice(-1).toUpperCase()] ?? 1);
const SIZES = opt('--sizes', QUICK ? '1K,4M' : '1K,64M,512M').split(',').map(parseSize);
const RUNS = Number(opt('--runs', QUICK ? '1' : '5'));
const OUT = path.resolve(opt('--out', path.join(ROOT, 'bench')));
const env = Object.fromEntries(
  execFileSync(path.join(ROOT, 'fixtures/prosody/server.sh'), ['env'], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('=', 2) as [string, string]),
);
const DOMAIN = env.XFER_TEST_DOMAIN!;
const conn = (u: string) => ['--jid', `${u}@${DOMAIN}`, '--server', env.XFER_TEST_SERVER!, '--ca', env.XFER_TEST_CA!, '--json'];
const [TX, RX] = opt('--users', 'alice,bob').split(',') as [string, string];
// --only s5b-direct,oob: just these methods against their paired ceilings, printed (for tuning
// work); nothing is written under bench/.
const ONLY = flag('--only') ? opt('--only', '').split(',') : undefined;

const METHODS: Record<string, string[]> = {
  ibb: ['--methods', 'ibb'],
  's5b-direct': ['--methods', 's5b', '--no-proxy'],
  's5b-proxy': ['--methods', 's5b', '--no-direct'],
  oob: ['--methods', 'oob'],
  upload: ['--method', 'upload'],
};

interface Proc { events: any[]; code: number | null; rssKiB: number; wait(ev: string): Promise<any> }

function run(user: string, argv: string[]): { p: Proc; done: Promise<Proc>; stop: () => void } {
  // GNU time reports the peak RSS (KiB) of the CLI process on stderr as its last line.
  const child = spawn('/usr/bin/time', ['-f', 'RSS %M', process.execPath, path.join(ROOT, 'bin/xfer'), ...argv, ...conn(user)], {
    env: { ...process.env, XFER_PASSWORD: `${user}-secret` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { events: [], code: null, rssKiB: 0, wait: () => Promise.resolve() };
  const waiters: Array<[string, (e: any) => void]> = [];
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0; ) {
      const e = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      e.t = performance.now();
      p.events.push(e);
      waiters.filter(([n]) => n === e.event).forEach(([, f]) => f(e));
    }
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  p.wait = (ev) => new Promise((r) => waiters.push([ev, r]));
  const done = new Promise<Proc>((resolve) =>
    child.on('close', (code) => {
      p.code = code;
      p.rssKiB = Number(/RSS (\d+)/.exec(err)?.[1] ?? 0);
      if (code !== 0) process.stderr.write(`bench: ${argv[0]} exited ${code}: ${p.events.find((e) => e.event === 'error')?.message ?? err.slice(-400)}\n`);
      resolve(p);
    }),
  );
  // SIGINT to the CLI (not to GNU time): it cancels cleanly and exits 130.
  return { p, done, stop: () => void execFile('pkill', ['-INT', '-P', String(child.pid)], () => {}) };
}

/**
 * Every timed run starts with the page cache written back: without it the kernel writes the
 * previous run's 512 MiB (and discards the deleted file's blocks) during the next one, on the
 * same two cores, and a run measured 40 % or 90 % of its ceiling depending on that alone.
 */
function settle(): void {
  execFileSync('sync');
}

async function transfer(file: string, method: string, extra: string[] = []) {
  settle();
  const out = mkdtempSync(path.join(tmpdir(), 'xfer-bench-rx-'));
  const rx = run(RX, ['receive', '-o', out, '--from', `${TX}@${DOMAIN}`, '--once', '--timeout', '600']);
  await rx.p.wait('listening');
  const t0 = performance.now();
  const tx = run(TX, ['send', file, `${RX}@${DOMAIN}`, ...METHODS[method]!, ...extra]);
  // A sender that failed (say, an upload slot refused) leaves a receiver waiting for --timeout.
  void tx.done.then((s) => s.code !== 0 && rx.stop());
  const [s, r] = await Promise.all([tx.done, rx.done]);
  const wall = (performance.now() - t0) / 1000;
  rmSync(out, { recursive: true, force: true });
  const done = r.events.find((e) => e.event === 'done');
  const accepted = r.events.find((e) => e.event === 'accepted');
  const first = r.events.find((e) => e.event === 'progress');
  if (s.code !== 0 || r.code !== 0 || !done) throw new Error(`${method} failed`);
  return { wall, seconds: done.seconds as number, bytes: done.bytes as number, txRss: s.rssKiB, rxRss: r.rssKiB, ttfb: first && accepted ? (first.t - accepted.t) / 1000 : NaN };
}

function makeFile(dir: string, size: number): string {
  const f = path.join(dir, `bench-${size}.bin`);
  const fd = openSync(f, 'w');
  for (let left = size; left > 0; left -= 1 << 20) writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
  closeSync(fd);
  return f;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const hasSocat = (() => {
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
async function socatCeiling(file: string, size: number, sink: 'file' | 'null', dir: string): Promise<number> {
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

/** Ceiling 1b: a minimal node `net` pipe, both ends in this process, into memory. */
async function nodePipeCeiling(file: string, size: number): Promise<number> {
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
async function curlCeiling(file: string, size: number, sink: 'file' | 'null', dir: string): Promise<number> {
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

/** slixmpp (Debian python3-slixmpp, through test/interop/slix_peer.py) sending over IBB to `xfer receive`: MiB/s of the data phase. */
async function slixmppIbb(file: string): Promise<number> {
  const out = mkdtempSync(path.join(tmpdir(), 'xfer-bench-rx-'));
  const rx = run(RX, ['receive', '-o', out, '--from', `${TX}@${DOMAIN}`, '--once', '--timeout', '300']);
  await rx.p.wait('listening');
  const tx = spawn('/usr/bin/python3', [path.join(ROOT, 'test/interop/slix_peer.py'), 'send', '--jid', `${TX}@${DOMAIN}/slix`, '--password', `${TX}-secret`, '--server', env.XFER_TEST_SERVER!, '--ca', env.XFER_TEST_CA!, '--method', 'ibb', '--to', `${RX}@${DOMAIN}`, '--file', file, '--timeout', '300'], { stdio: 'ignore' });
  const [code, r] = await Promise.all([new Promise<number | null>((res) => tx.on('close', res)), rx.done]);
  rmSync(out, { recursive: true, force: true });
  const done = r.events.find((e) => e.event === 'done');
  if (code !== 0 || !done) return NaN;
  return done.bytes / 1048576 / done.seconds;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

// socat -u TCP-LISTEN accepts exactly one connection, so a probe connection would use it up:
// watch the kernel's socket table for the listener instead.
async function waitListening(port: number): Promise<void> {
  const want = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (let i = 0; i < 250; i++) {
    const listening = readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => l.includes(want) && l.trim().split(/\s+/)[3] === '0A');
    if (listening) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`socat did not listen on ${port}`);
}

/** Ceiling 3: what the fixture's proxy65 relays, two raw SOCKS5 connections activated by hand. */
async function proxyCeiling(file: string, size: number): Promise<number> {
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

function prosodyCpu(): number {
  const pid = readFileSync(path.join(ROOT, '.run/prosody/pid'), 'utf8').trim();
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const human = (n: number) => (n >= 1 << 20 ? `${n / 1048576} MiB` : `${n / 1024} KiB`);

async function main() {
  mkdirSync(OUT, { recursive: true });
  if (flag('--render')) {
    // Re-render results.md and throughput.svg from results.json (no measuring).
    const result = JSON.parse(readFileSync(path.join(OUT, 'results.json'), 'utf8'));
    writeFileSync(path.join(OUT, 'results.md'), markdown(result));
    writeFileSync(path.join(OUT, 'throughput.svg'), svg(result));
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'xfer-bench-'));
  const rows: any[] = [];
  const ceilings: Record<number, Ceilings> = {};
  const ibbCpu: number[] = [];
  try {
    for (const size of SIZES) {
      const file = makeFile(dir, size);
      if (size >= 1 << 20 && !ONLY) {
        const three = async (f: () => Promise<number>) => median([await f(), await f(), await f()]);
        ceilings[size] = {
          tcp: await three(() => socatCeiling(file, size, 'file', dir)),
          tcpNull: await three(() => socatCeiling(file, size, 'null', dir)),
          nodePipe: await three(() => nodePipeCeiling(file, size)),
          curl: await three(() => curlCeiling(file, size, 'file', dir)),
          curlNull: await three(() => curlCeiling(file, size, 'null', dir)),
          proxy: await three(() => proxyCeiling(file, size)),
        };
      }
      for (const method of Object.keys(METHODS).filter((m) => !ONLY || ONLY.includes(m))) {
        const runs = [];
        // This machine's speed drifts by ±30 % over minutes, so each run is paired with its own
        // ceiling measured just before it; the ratio reported is the median of the pairs.
        const paired = size >= 1 << 20 ? pairedCeiling(method, file, size, dir) : undefined;
        const ratios: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const ceiling = paired ? await paired() : NaN;
          const cpu0 = method === 'ibb' ? prosodyCpu() : 0;
          const r = await transfer(file, method);
          runs.push(r);
          if (method === 'ibb' && size >= 1 << 20) ibbCpu.push((prosodyCpu() - cpu0) / (size / 1048576));
          if (Number.isFinite(ceiling)) ratios.push(r.bytes / 1048576 / r.seconds / ceiling);
        }
        const rates = runs.map((r) => r.bytes / 1048576 / r.seconds);
        const row = {
          size, method, runs: runs.length,
          wall: median(runs.map((r) => r.wall)), wallMin: Math.min(...runs.map((r) => r.wall)), wallMax: Math.max(...runs.map((r) => r.wall)),
          mibs: median(rates), mibsMin: Math.min(...rates), mibsMax: Math.max(...rates),
          txRssMiB: Math.max(...runs.map((r) => r.txRss)) / 1024, rxRssMiB: Math.max(...runs.map((r) => r.rxRss)) / 1024,
          ttfb: median(runs.map((r) => r.ttfb)),
          pairedRatio: ratios.length ? median(ratios) : null,
        };
        rows.push(row);
        const vs = ratios.length ? `, ${ratios.map((x) => `${Math.round(x * 100)} %`).join(' ')} of paired ceiling` : '';
        process.stderr.write(`${human(size)} ${method}: ${fmt(row.mibs)} MiB/s, wall ${fmt(row.wall, 2)} s, RSS tx ${fmt(row.txRssMiB, 0)} / rx ${fmt(row.rxRssMiB, 0)} MiB${vs}\n`);
      }
    }
    if (ONLY) return;
    // slixmpp's IBB (its default 4 KiB blocks, one in flight) into an xfer receiver, same Prosody.
    const slixSize = QUICK ? 1 << 20 : 8 << 20;
    const slixFile = makeFile(dir, slixSize);
    const slixRates: number[] = [];
    for (let i = 0; i < (QUICK ? 1 : 3); i++) slixRates.push(await slixmppIbb(slixFile));
    // The extra time a silent first SOCKS5 candidate costs.
    const silentFile = makeFile(dir, 1 << 20);
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const sp = (silent.address() as net.AddressInfo).port;
    const base: number[] = [];
    const slow: number[] = [];
    for (let i = 0; i < Math.max(RUNS, 3); i++) {
      base.push((await transfer(silentFile, 's5b-direct')).wall);
      slow.push((await transfer(silentFile, 's5b-direct', ['--direct-host', `127.0.0.1:${sp}`, '--direct-host', 'auto'])).wall);
    }
    silent.close();
    // IBB block size x window sweep.
    const sweepSize = QUICK ? 1 << 20 : 32 << 20;
    const sweepFile = makeFile(dir, sweepSize);
    const blocks = QUICK ? [4096, 49152] : [4096, 16384, 32768, 49152, 65535];
    const windows = QUICK ? [1, 32] : [1, 8, 32, 64];
    const sweep: Record<string, number> = {};
    for (const b of blocks) for (const w of windows) {
      const r = await transfer(sweepFile, 'ibb', ['--ibb-block-size', String(b), '--ibb-window', String(w)]);
      sweep[`${b}x${w}`] = sweepSize / 1048576 / r.seconds;
    }
    const result = { date: new Date().toISOString(), quick: QUICK, runs: RUNS, rows, ceilings, silentCandidate: { baseline: median(base), silentFirst: median(slow) }, ibbSweep: { size: sweepSize, blocks, windows, mibs: sweep, default: '49152x32' }, prosodyCpuSecondsPerMiB: ibbCpu.length ? median(ibbCpu) : null, slixmppIbb: { size: slixSize, mibs: median(slixRates) } };
    writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(result, null, 2));
    writeFileSync(path.join(OUT, 'results.md'), markdown(result));
    writeFileSync(path.join(OUT, 'throughput.svg'), svg(result));
    process.stderr.write(`bench: wrote ${path.join(OUT, 'results.md')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Ceilings {
  /** socat file -> TCP -> file (the primary ceiling for SOCKS5 direct and IBB) */
  tcp: number;
  /** socat file -> TCP -> /dev/null */
  tcpNull: number;
  /** node net pipe in one process, into memory */
  nodePipe: number;
  /** curl -o file from the OOB file server (the primary ceiling for OOB and upload) */
  curl: number;
  /** curl -o /dev/null */
  curlNull: number;
  /** two raw SOCKS5 connections through Prosody's proxy65 */
  proxy: number;
}

/** The ceiling each method is judged against, measured again right before each of its runs. */
function pairedCeiling(method: string, file: string, size: number, dir: string): (() => Promise<number>) | undefined {
  if (method === 's5b-direct') return () => socatCeiling(file, size, 'file', dir);
  if (method === 'oob' || method === 'upload') return () => curlCeiling(file, size, 'file', dir);
  if (method === 's5b-proxy') return () => proxyCeiling(file, size);
  return undefined;
}

function ceilingFor(r: any, res: any): [string, number] {
  // IBB goes through Prosody, which spends a fixed CPU time per MiB it relays: 1 / that is the
  // most any client could get through this server on one core.
  if (r.method === 'ibb' && res.prosodyCpuSecondsPerMiB) return ['Prosody CPU wall', 1 / res.prosodyCpuSecondsPerMiB];
  const cc = res.ceilings[r.size] as Ceilings | undefined;
  if (!cc) return ['', NaN];
  if (r.method === 's5b-proxy') return ['proxy65 relay', cc.proxy];
  return r.method === 'oob' || r.method === 'upload' ? ['curl to file', cc.curl] : ['socat copy', cc.tcp];
}

function extraRatio(r: any, res: any): string {
  const cc = res.ceilings[r.size] as Ceilings | undefined;
  if (!cc) return '';
  if (r.method === 'ibb') return `${fmt((100 * r.mibs) / cc.tcp, 0)} % of socat copy`;
  if (r.method === 's5b-direct') return `${fmt((100 * r.mibs) / cc.tcpNull, 0)} % of socat to /dev/null`;
  if (r.method === 'oob') return `${fmt((100 * r.mibs) / cc.curlNull, 0)} % of curl to /dev/null`;
  return '';
}

function markdown(res: any): string {
  const L = [`# xfer benchmark`, '', `${res.date}, ${res.quick ? 'quick smoke run' : 'full run'}, median of ${res.runs} run(s) (min–max), fixture Prosody on loopback, 2 cores.`, ''];
  L.push('## Ceilings (same run, median of 3, MiB/s)', '');
  L.push('"Copy" ceilings write the file into the same filesystem xfer receives into, as xfer does; the /dev/null ones show the loopback alone.', '');
  L.push('| size | socat copy (file → TCP → file) | socat to /dev/null | node net pipe (one process, to memory) | curl to file | curl to /dev/null | Prosody proxy65 relay |', '|---|---|---|---|---|---|---|');
  for (const [s, c] of Object.entries(res.ceilings) as any) L.push(`| ${human(Number(s))} | ${fmt(c.tcp)} | ${fmt(c.tcpNull)} | ${fmt(c.nodePipe)} | ${fmt(c.curl)} | ${fmt(c.curlNull)} | ${fmt(c.proxy)} |`);
  L.push('', '## Methods', '', 'Data MiB/s: from the offer being accepted to the verified file in place (receiver side; sha-256 checked). Wall: both CLIs from start to exit, login and the sender\'s hashing included.', '', '| size | method | data MiB/s (min–max) | vs ceiling | wall s (min–max) | peak RSS tx / rx MiB | first byte s |', '|---|---|---|---|---|---|---|');
  for (const r of res.rows) {
    const [name, c] = ceilingFor(r, res);
    const ratio = r.pairedRatio != null ? `${fmt(100 * r.pairedRatio, 0)} % of ${name} (paired runs)` : Number.isFinite(c) ? `${fmt((100 * r.mibs) / c, 0)} % of ${name}` : '';
    L.push(`| ${human(r.size)} | ${r.method} | ${fmt(r.mibs)} (${fmt(r.mibsMin)}–${fmt(r.mibsMax)}) | ${ratio}${extraRatio(r, res) ? `; ${extraRatio(r, res)}` : ''} | ${fmt(r.wall, 2)} (${fmt(r.wallMin, 2)}–${fmt(r.wallMax, 2)}) | ${fmt(r.txRssMiB, 0)} / ${fmt(r.rxRssMiB, 0)} | ${fmt(r.ttfb, 3)} |`);
  }
  L.push('', ...targets(res));
  L.push('', '## Latency', '', `A silent first SOCKS5 candidate: ${fmt(res.silentCandidate.silentFirst, 2)} s end to end vs ${fmt(res.silentCandidate.baseline, 2)} s without (1 MiB).`);
  if (res.prosodyCpuSecondsPerMiB !== null) L.push('', `Prosody CPU per MiB relayed over IBB: ${fmt(res.prosodyCpuSecondsPerMiB, 3)} s.`);
  if (res.slixmppIbb) L.push('', `slixmpp's IBB (4 KiB blocks, stop-and-wait) into xfer receive, ${human(res.slixmppIbb.size)}: ${fmt(res.slixmppIbb.mibs, 2)} MiB/s.`);
  L.push('', `## IBB block size × window (${human(res.ibbSweep.size)}, MiB/s; default ${res.ibbSweep.default})`, '', `| block \\ window | ${res.ibbSweep.windows.join(' | ')} |`, `|---|${res.ibbSweep.windows.map(() => '---').join('|')}|`);
  for (const b of res.ibbSweep.blocks) L.push(`| ${b} | ${res.ibbSweep.windows.map((w: number) => fmt(res.ibbSweep.mibs[`${b}x${w}`])).join(' | ')} |`);
  return L.join('\n') + '\n';
}

/** The issue's targets, judged from this run's numbers (never from a timed test). */
function targets(res: any): string[] {
  const big = Math.max(...res.rows.map((r: any) => r.size));
  const row = (m: string, size = big) => res.rows.find((r: any) => r.method === m && r.size === size);
  const c: Ceilings | undefined = res.ceilings[big];
  const pct = (a: number, b: number) => (100 * a) / b;
  const L = ['## Targets', '', `| target | measured (${human(big)}) | met |`, '|---|---|---|'];
  const add = (what: string, measured: string, ok: boolean) => L.push(`| ${what} | ${measured} | ${ok ? 'yes' : '**no**'} |`);
  const s5b = row('s5b-direct');
  const ratioOf = (r: any, ceiling: number) => (r.pairedRatio != null ? 100 * r.pairedRatio : pct(r.mibs, ceiling));
  if (s5b && c) add('SOCKS5 direct ≥ 75 % of the raw loopback copy', `${fmt(ratioOf(s5b, c.tcp), 0)} % of socat copy, median of paired runs (${fmt(pct(s5b.mibs, c.tcpNull), 0)} % of socat to /dev/null)`, ratioOf(s5b, c.tcp) >= 75);
  const oob = row('oob');
  if (oob && c) add('OOB ≥ 75 % of curl', `${fmt(ratioOf(oob, c.curl), 0)} % of curl to file, median of paired runs (${fmt(pct(oob.mibs, c.curlNull), 0)} % of curl to /dev/null)`, ratioOf(oob, c.curl) >= 75);
  const ibb = row('ibb');
  if (ibb) {
    const wall = res.prosodyCpuSecondsPerMiB ? 1 / res.prosodyCpuSecondsPerMiB : NaN;
    const slix = res.slixmppIbb?.mibs;
    add('IBB ≥ 22 MiB/s (10× slixmpp), or ≥ 80 % of Prosody\'s CPU wall', `${fmt(ibb.mibs)} MiB/s = ${fmt(ibb.mibs / slix)}× slixmpp's IBB (${fmt(slix, 2)} MiB/s, measured); Prosody ${fmt(res.prosodyCpuSecondsPerMiB, 3)} CPU s/MiB = wall ${fmt(wall)} MiB/s → ${fmt(pct(ibb.mibs, wall), 0)} %`, ibb.mibs >= 22 || pct(ibb.mibs, wall) >= 80);
  }
  const bigRows = res.rows.filter((r: any) => r.size === big);
  const rss = Math.max(...bigRows.map((r: any) => Math.max(r.txRssMiB, r.rxRssMiB)));
  add('peak RSS ≤ 150 MiB per side', `${fmt(rss, 0)} MiB (largest of any method, either side)`, rss <= 150);
  const small = res.rows.filter((r: any) => r.size <= 1024);
  if (small.length) {
    const worst = Math.max(...small.map((r: any) => r.wall));
    add('1 KiB end to end ≤ 1 s', `${fmt(worst, 2)} s (slowest method, median)`, worst <= 1);
  }
  return L;
}

function svg(res: any): string {
  const largest = Math.max(...res.rows.map((r: any) => r.size));
  const rows = res.rows.filter((r: any) => r.size === largest);
  const bars = rows.map((r: any) => ({ label: r.method, v: r.mibs, c: ceilingFor(r, res)[1] }));
  const max = Math.max(1, ...bars.map((b: any) => Math.max(b.v, Number.isFinite(b.c) ? b.c : 0)));
  const W = 640, rowH = 34, H = 60 + bars.length * rowH;
  const x = (v: number) => 120 + (v / max) * 480;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="white"/>`, `<text x="10" y="20" font-size="14">xfer throughput, ${human(largest)} (bar) vs ceiling (line), MiB/s</text>`];
  bars.forEach((b: any, i: number) => {
    const y = 40 + i * rowH;
    parts.push(`<text x="10" y="${y + 16}">${b.label}</text>`, `<rect x="120" y="${y}" width="${x(b.v) - 120}" height="22" fill="#4a7bd0"/>`, `<text x="${x(b.v) + 4}" y="${y + 16}">${fmt(b.v)}</text>`);
    if (Number.isFinite(b.c)) parts.push(`<line x1="${x(b.c)}" x2="${x(b.c)}" y1="${y - 2}" y2="${y + 24}" stroke="#d04a4a" stroke-width="2"/>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exit(1);
});
