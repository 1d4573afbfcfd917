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

const METHODS: Record<string, string[]> = {
  ibb: ['--methods', 'ibb'],
  's5b-direct': ['--methods', 's5b', '--no-proxy'],
  's5b-proxy': ['--methods', 's5b', '--no-direct'],
  oob: ['--methods', 'oob'],
  upload: ['--method', 'upload'],
};

interface Proc { events: any[]; code: number | null; rssKiB: number; wait(ev: string): Promise<any> }

function run(user: string, argv: string[]): { p: Proc; done: Promise<Proc> } {
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
      if (code !== 0) process.stderr.write(`bench: ${argv[0]} exited ${code}: ${err.slice(-400)}\n`);
      resolve(p);
    }),
  );
  return { p, done };
}

async function transfer(file: string, method: string, extra: string[] = []) {
  const out = mkdtempSync(path.join(tmpdir(), 'xfer-bench-rx-'));
  const rx = run(RX, ['receive', '-o', out, '--from', `${TX}@${DOMAIN}`, '--once', '--timeout', '600']);
  await rx.p.wait('listening');
  const t0 = performance.now();
  const tx = run(TX, ['send', file, `${RX}@${DOMAIN}`, ...METHODS[method]!, ...extra]);
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

/** Ceiling 1: a plain loopback TCP copy of the file (node net, 64 KiB reads). */
async function tcpCeiling(file: string, size: number): Promise<number> {
  const srv = net.createServer((s) => {
    let n = 0;
    s.on('data', (d) => (n += d.length));
    s.on('end', () => s.end(String(n)));
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
  return size / 1048576 / ((performance.now() - t0) / 1000);
}

/** Ceiling 2: curl fetching the file from a local HTTP server (the same one OOB uses). */
async function curlCeiling(file: string, size: number): Promise<number> {
  const srv = new OneFileServer({ path: file, name: 'f', size });
  const port = await srv.listen('127.0.0.1');
  // async: the server runs in this process, so a synchronous curl would wait for itself.
  const out = await new Promise<string>((resolve, reject) =>
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{time_total}', `http://127.0.0.1:${port}${srv.urlPath}`], (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  srv.close();
  return size / 1048576 / Number(out);
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
  const dir = mkdtempSync(path.join(tmpdir(), 'xfer-bench-'));
  const rows: any[] = [];
  const ceilings: Record<number, { tcp: number; curl: number; proxy: number }> = {};
  const ibbCpu: number[] = [];
  try {
    for (const size of SIZES) {
      const file = makeFile(dir, size);
      if (size >= 1 << 20) {
        const three = async (f: () => Promise<number>) => median([await f(), await f(), await f()]);
        ceilings[size] = { tcp: await three(() => tcpCeiling(file, size)), curl: await three(() => curlCeiling(file, size)), proxy: await three(() => proxyCeiling(file, size)) };
      }
      for (const method of Object.keys(METHODS)) {
        const runs = [];
        for (let i = 0; i < RUNS; i++) {
          const cpu0 = method === 'ibb' ? prosodyCpu() : 0;
          runs.push(await transfer(file, method));
          if (method === 'ibb' && size >= 1 << 20) ibbCpu.push((prosodyCpu() - cpu0) / (size / 1048576));
        }
        const rates = runs.map((r) => r.bytes / 1048576 / r.seconds);
        const row = {
          size, method, runs: runs.length,
          wall: median(runs.map((r) => r.wall)), wallMin: Math.min(...runs.map((r) => r.wall)), wallMax: Math.max(...runs.map((r) => r.wall)),
          mibs: median(rates), mibsMin: Math.min(...rates), mibsMax: Math.max(...rates),
          txRssMiB: Math.max(...runs.map((r) => r.txRss)) / 1024, rxRssMiB: Math.max(...runs.map((r) => r.rxRss)) / 1024,
          ttfb: median(runs.map((r) => r.ttfb)),
        };
        rows.push(row);
        process.stderr.write(`${human(size)} ${method}: ${fmt(row.mibs)} MiB/s, wall ${fmt(row.wall, 2)} s, RSS tx ${fmt(row.txRssMiB, 0)} / rx ${fmt(row.rxRssMiB, 0)} MiB\n`);
      }
    }
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
    const result = { date: new Date().toISOString(), quick: QUICK, runs: RUNS, rows, ceilings, silentCandidate: { baseline: median(base), silentFirst: median(slow) }, ibbSweep: { size: sweepSize, blocks, windows, mibs: sweep, default: '49152x32' }, prosodyCpuSecondsPerMiB: ibbCpu.length ? median(ibbCpu) : null };
    writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(result, null, 2));
    writeFileSync(path.join(OUT, 'results.md'), markdown(result));
    writeFileSync(path.join(OUT, 'throughput.svg'), svg(result));
    process.stderr.write(`bench: wrote ${path.join(OUT, 'results.md')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ceilingFor(r: any, c: Record<number, { tcp: number; curl: number; proxy: number }>): [string, number] {
  const cc = c[r.size];
  if (!cc) return ['', NaN];
  if (r.method === 's5b-proxy') return ['proxy65 relay', cc.proxy];
  return r.method === 'oob' || r.method === 'upload' ? ['curl', cc.curl] : ['tcp', cc.tcp];
}

function markdown(res: any): string {
  const L = [`# xfer benchmark`, '', `${res.date}, ${res.quick ? 'quick smoke run' : 'full run'}, median of ${res.runs} run(s) (min–max), fixture Prosody on loopback, 2 cores.`, ''];
  L.push('## Ceilings (same run)', '', '| size | raw TCP copy MiB/s | curl from local HTTP MiB/s | Prosody proxy65 relay MiB/s |', '|---|---|---|---|');
  for (const [s, c] of Object.entries(res.ceilings) as any) L.push(`| ${human(Number(s))} | ${fmt(c.tcp)} | ${fmt(c.curl)} | ${fmt(c.proxy)} |`);
  L.push('', '## Methods', '', '| size | method | data MiB/s (min–max) | vs ceiling | wall s (min–max) | peak RSS tx / rx MiB | first byte s |', '|---|---|---|---|---|---|---|');
  for (const r of res.rows) {
    const [name, c] = ceilingFor(r, res.ceilings);
    L.push(`| ${human(r.size)} | ${r.method} | ${fmt(r.mibs)} (${fmt(r.mibsMin)}–${fmt(r.mibsMax)}) | ${Number.isFinite(c) ? `${fmt((100 * r.mibs) / c, 0)} % of ${name}` : ''} | ${fmt(r.wall, 2)} (${fmt(r.wallMin, 2)}–${fmt(r.wallMax, 2)}) | ${fmt(r.txRssMiB, 0)} / ${fmt(r.rxRssMiB, 0)} | ${fmt(r.ttfb, 3)} |`);
  }
  L.push('', '## Latency', '', `A silent first SOCKS5 candidate: ${fmt(res.silentCandidate.silentFirst, 2)} s end to end vs ${fmt(res.silentCandidate.baseline, 2)} s without (1 MiB).`);
  if (res.prosodyCpuSecondsPerMiB !== null) L.push('', `Prosody CPU per MiB relayed over IBB: ${fmt(res.prosodyCpuSecondsPerMiB, 3)} s.`);
  L.push('', `## IBB block size × window (${human(res.ibbSweep.size)}, MiB/s; default ${res.ibbSweep.default})`, '', `| block \\ window | ${res.ibbSweep.windows.join(' | ')} |`, `|---|${res.ibbSweep.windows.map(() => '---').join('|')}|`);
  for (const b of res.ibbSweep.blocks) L.push(`| ${b} | ${res.ibbSweep.windows.map((w: number) => fmt(res.ibbSweep.mibs[`${b}x${w}`])).join(' | ')} |`);
  return L.join('\n') + '\n';
}

function svg(res: any): string {
  const largest = Math.max(...res.rows.map((r: any) => r.size));
  const rows = res.rows.filter((r: any) => r.size === largest);
  const bars = rows.map((r: any) => ({ label: r.method, v: r.mibs, c: ceilingFor(r, res.ceilings)[1] }));
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
