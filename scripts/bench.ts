// npm run bench: throughput, latency and memory of every xfer method, as two real CLI processes
// through the fixture Prosody, next to the ceilings measured in the same run on the same machine
// (scripts/ceilings.ts). Writes bench/results.md, .json and
// throughput.svg. `--quick` is a smoke run (exercised by the test suite so that it cannot rot).
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { fmt, human, markdown, median, svg } from './bench-report.js';
import { curlCeiling, hashingReceiver, nodePipeCeiling, proxyCeiling, settle, socatCeiling, type Ceilings } from './ceilings.js';

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

// SI rows keep their names; Jingle rows (jingle-*) use the same transports with XEP-0234, which
// hashes while sending instead of reading the file once more before the offer.
const METHODS: Record<string, string[]> = {
  ibb: ['--methods', 'ibb', '--protocol', 'si'],
  's5b-direct': ['--methods', 's5b', '--no-proxy', '--protocol', 'si'],
  's5b-proxy': ['--methods', 's5b', '--no-direct', '--protocol', 'si'],
  oob: ['--methods', 'oob'],
  upload: ['--method', 'upload'],
  'jingle-s5b-direct': ['--methods', 's5b', '--no-proxy', '--protocol', 'jingle'],
  'jingle-ibb': ['--methods', 'ibb', '--protocol', 'jingle'],
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

async function transfer(file: string, method: string, extra: string[] = []) {
  settle();
  const out = mkdtempSync(path.join(tmpdir(), 'xfer-bench-rx-'));
  // Upload links go to the bare JID: a receiver takes those only at priority >= 0.
  const rx = run(RX, ['receive', '-o', out, '--from', `${TX}@${DOMAIN}`, '--once', '--timeout', '600', ...(method === 'upload' ? ['--priority', '0'] : [])]);
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

/** `xfer --version` under GNU time: wall seconds and peak RSS (KiB). */
function cliStartup(): { s: number; kib: number } {
  const r = spawnSync('/usr/bin/time', ['-f', 'T %e %M', process.execPath, path.join(ROOT, 'bin/xfer'), '--version'], { encoding: 'utf8' });
  const m = /T ([\d.]+) (\d+)/.exec(r.stderr);
  return { s: Number(m?.[1] ?? NaN), kib: Number(m?.[2] ?? NaN) };
}

function prosodyCpu(): number {
  const pid = readFileSync(path.join(ROOT, '.run/prosody/pid'), 'utf8').trim();
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}


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
          hashing: await three(() => hashingReceiver(file, size, dir)),
          curl: await three(() => curlCeiling(file, size, 'file', dir)),
          curlNull: await three(() => curlCeiling(file, size, 'null', dir)),
          proxy: await three(() => proxyCeiling(file, size, { env, domain: DOMAIN, tx: TX, rx: RX })),
        };
      }
      for (const method of Object.keys(METHODS).filter((m) => !ONLY || ONLY.includes(m))) {
        const runs = [];
        // This machine's speed drifts by ±30 % over minutes, so each run is paired with its own
        // ceiling measured just before it; the ratio reported is the median of the pairs.
        const paired = size >= 1 << 20 ? pairedCeiling(method, file, size, dir) : undefined;
        const ratios: number[] = [];
        // SOCKS5 direct also against the minimal hashing receiver, paired the same way: how close
        // xfer comes to what any receiver that verifies sha-256 can do here, and how far that is
        // from the plain copy.
        const withHashing = method === 's5b-direct' && size >= 1 << 20;
        const hashRatios: number[] = [];
        const hashVsCopy: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const ceiling = paired ? await paired() : NaN;
          const hashing = withHashing ? await hashingReceiver(file, size, dir) : NaN;
          const cpu0 = method === 'ibb' ? prosodyCpu() : 0;
          const r = await transfer(file, method);
          runs.push(r);
          if (method === 'ibb' && size >= 1 << 20) ibbCpu.push((prosodyCpu() - cpu0) / (size / 1048576));
          if (Number.isFinite(ceiling)) ratios.push(r.bytes / 1048576 / r.seconds / ceiling);
          if (Number.isFinite(hashing)) {
            hashRatios.push(r.bytes / 1048576 / r.seconds / hashing);
            if (Number.isFinite(ceiling)) hashVsCopy.push(hashing / ceiling);
          }
        }
        const rates = runs.map((r) => r.bytes / 1048576 / r.seconds);
        const row = {
          size, method, runs: runs.length,
          wall: median(runs.map((r) => r.wall)), wallMin: Math.min(...runs.map((r) => r.wall)), wallMax: Math.max(...runs.map((r) => r.wall)),
          mibs: median(rates), mibsMin: Math.min(...rates), mibsMax: Math.max(...rates),
          txRssMiB: Math.max(...runs.map((r) => r.txRss)) / 1024, rxRssMiB: Math.max(...runs.map((r) => r.rxRss)) / 1024,
          ttfb: median(runs.map((r) => r.ttfb)),
          pairedRatio: ratios.length ? median(ratios) : null,
          ...(hashRatios.length ? { pairedHashingRatio: median(hashRatios), hashingVsCopy: hashVsCopy.length ? median(hashVsCopy) : null } : {}),
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
    // The CLI alone: start, import, print its version, exit (what every command pays before work).
    const startup: Array<{ s: number; kib: number }> = [];
    for (let i = 0; i < 5; i++) startup.push(cliStartup());
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
    const result = { date: new Date().toISOString(), quick: QUICK, runs: RUNS, rows, ceilings, silentCandidate: { baseline: median(base), silentFirst: median(slow) }, ibbSweep: { size: sweepSize, blocks, windows, mibs: sweep, default: '49152x32' }, prosodyCpuSecondsPerMiB: ibbCpu.length ? median(ibbCpu) : null, slixmppIbb: { size: slixSize, mibs: median(slixRates) }, cliStartup: { seconds: median(startup.map((x) => x.s)), rssMiB: median(startup.map((x) => x.kib)) / 1024 } };
    writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(result, null, 2));
    writeFileSync(path.join(OUT, 'results.md'), markdown(result));
    writeFileSync(path.join(OUT, 'throughput.svg'), svg(result));
    process.stderr.write(`bench: wrote ${path.join(OUT, 'results.md')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ceiling each method is judged against, measured again right before each of its runs. */
function pairedCeiling(method: string, file: string, size: number, dir: string): (() => Promise<number>) | undefined {
  if (method === 's5b-direct' || method === 'jingle-s5b-direct') return () => socatCeiling(file, size, 'file', dir);
  if (method === 'oob' || method === 'upload') return () => curlCeiling(file, size, 'file', dir);
  if (method === 's5b-proxy') return () => proxyCeiling(file, size, { env, domain: DOMAIN, tx: TX, rx: RX });
  return undefined;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exit(1);
});
