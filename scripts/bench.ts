// npm run bench: throughput, latency and memory of every xfer method, as two real CLI processes
// through the fixture Prosody, next to the ceilings measured in the same run on the same machine
// (scripts/ceilings.ts); then the same on stock-configured servers (scripts/bench-stock.ts).
// Writes bench/results.md, .json and throughput.svg. `--quick` is a smoke run (exercised by the
// test suite so that it cannot rot).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fmt, human, markdown, median, svg } from './bench-report.js';
import { makeFile, ROOT, slixmppSend, transfer, users, type Target, type Transfer } from './bench-procs.js';
import { stockBench } from './bench-stock.js';
import { serverEnv } from '../test/helpers/servers.js';
import { curlCeiling, hashingReceiver, nodePipeCeiling, proxyCeiling, socatCeiling, uploadCeiling, type Ceilings } from './ceilings.js';

const args = process.argv.slice(2);
const flag = (n: string) => args.includes(n);
const opt = (n: string, d: string) => (args.includes(n) ? args[args.indexOf(n) + 1]! : d);
const QUICK = flag('--quick');
const parseSize = (s: string) => Number(s.replace(/[KMG]$/i, '')) * ({ K: 1024, M: 1 << 20, G: 1 << 30 }[s.slice(-1).toUpperCase()] ?? 1);
const SIZES = opt('--sizes', QUICK ? '1K,4M' : '1K,64M,512M').split(',').map(parseSize);
const RUNS = Number(opt('--runs', QUICK ? '1' : '5'));
const OUT = path.resolve(opt('--out', path.join(ROOT, 'bench')));
const env = serverEnv('prosody');
const DOMAIN = env.XFER_TEST_DOMAIN!;
const FIXTURE: Target = { name: 'prosody (tuned fixture)', server: env.XFER_TEST_SERVER!, ca: env.XFER_TEST_CA!, domain: DOMAIN };
[users.tx, users.rx] = opt('--users', 'alice,bob').split(',') as [string, string];
const TX = users.tx;
const RX = users.rx;
// --only s5b-direct,oob: just these methods against their paired ceilings, printed (for tuning
// work); nothing is written under bench/.
const ONLY = flag('--only') ? opt('--only', '').split(',') : undefined;

// SI rows keep their names; Jingle rows (jingle-*) use the same transports with XEP-0234, which
// hashes while sending instead of reading the file once more before the offer. Every row sends
// a file for the first time (no hash cache) except the *-cached rows: sending a file sent before,
// its digest from the cache (src/files/hash-cache.ts): SI skips its pass before the offer, Jingle
// hashes nothing while sending (its checksum comes from the cache).
const COLD = { XFER_HASH_CACHE: 'off' };
const METHODS: Record<string, { args: string[]; env?: Record<string, string>; minSize?: number }> = {
  ibb: { args: ['--methods', 'ibb', '--protocol', 'si'] },
  's5b-direct': { args: ['--methods', 's5b', '--no-proxy', '--protocol', 'si'] },
  's5b-direct-cached': { args: ['--methods', 's5b', '--no-proxy', '--protocol', 'si'], env: {}, minSize: 1 << 20 },
  's5b-proxy': { args: ['--methods', 's5b', '--no-direct', '--protocol', 'si'] },
  oob: { args: ['--methods', 'oob'] },
  upload: { args: ['--method', 'upload'] },
  'jingle-s5b-direct': { args: ['--methods', 's5b', '--no-proxy', '--protocol', 'jingle'] },
  'jingle-s5b-direct-cached': { args: ['--methods', 's5b', '--no-proxy', '--protocol', 'jingle'], env: {}, minSize: 1 << 20 },
  'jingle-ibb': { args: ['--methods', 'ibb', '--protocol', 'jingle'] },
};
/** What `xfer send FILE JID` picks between two xfers on the fixture: its rows carry the end-to-end targets. */
const DEFAULT_PATH = 'jingle-s5b-direct';

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
  const cached = { XDG_CACHE_HOME: path.join(dir, 'cache') };
  const rows: any[] = [];
  const ceilings: Record<number, Ceilings> = {};
  const ibbCpu: number[] = [];
  // wall(1 KiB) per method: login, disco, offer and exits, subtracted for the end-to-end ratio.
  const wall1K: Record<string, number> = {};
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
          upload: await three(async () => upRate(size, await uploadCeiling(file, size, dir, fixture()))),
          proxy: await three(() => proxyCeiling(file, size, fixture())),
        };
      }
      for (const [method, m] of Object.entries(METHODS).filter(([k, v]) => (!ONLY || ONLY.includes(k)) && size >= (v.minSize ?? 0))) {
        const runEnv = m.env ? { ...m.env, ...cached } : COLD;
        // The cached row's first send fills the cache; the file was written long enough ago.
        if (m.env) await transfer(FIXTURE, file, m.args, runEnv);
        const runs: Transfer[] = [];
        // This machine's speed drifts by ±30 % over minutes, so each run is paired with its own
        // ceiling measured just before it; the ratio reported is the median of the pairs.
        const paired = size >= 1 << 20 ? pairedCeiling(method, file, size, dir) : undefined;
        const ratios: number[] = [];
        const e2e: number[] = [];
        const base = wall1K[method] ?? wall1K[method.replace(/-cached$/, '')];
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
          const r = await transfer(FIXTURE, file, m.args, runEnv);
          runs.push(r);
          if (method === 'ibb' && size >= 1 << 20) ibbCpu.push((prosodyCpu() - cpu0) / (size / 1048576));
          if (Number.isFinite(ceiling)) {
            ratios.push(r.bytes / 1048576 / r.seconds / ceiling);
            // End to end: the whole send minus what a 1 KiB one costs (start-up, login, disco,
            // offer), against the time the ceiling takes for the same bytes.
            if (base !== undefined) e2e.push(size / 1048576 / ceiling / (r.wall - base));
          }
          if (Number.isFinite(hashing)) {
            hashRatios.push(r.bytes / 1048576 / r.seconds / hashing);
            if (Number.isFinite(ceiling)) hashVsCopy.push(hashing / ceiling);
          }
        }
        const rates = runs.map((r) => r.bytes / 1048576 / r.seconds);
        const row = {
          size, method, runs: runs.length,
          wall: median(runs.map((r) => r.wall)), wallMin: Math.min(...runs.map((r) => r.wall)), wallMax: Math.max(...runs.map((r) => r.wall)),
          txWall: median(runs.map((r) => r.txWall)),
          mibs: median(rates), mibsMin: Math.min(...rates), mibsMax: Math.max(...rates),
          txRssMiB: Math.max(...runs.map((r) => r.txRss)) / 1024, rxRssMiB: Math.max(...runs.map((r) => r.rxRss)) / 1024,
          ttfb: median(runs.map((r) => r.ttfb)),
          pairedRatio: ratios.length ? median(ratios) : null,
          e2eRatio: e2e.length ? median(e2e) : null,
          ...(hashRatios.length ? { pairedHashingRatio: median(hashRatios), hashingVsCopy: hashVsCopy.length ? median(hashVsCopy) : null } : {}),
        };
        if (size <= 1024) wall1K[method] = row.wall;
        rows.push(row);
        const vs = ratios.length ? `, ${ratios.map((x) => `${Math.round(x * 100)} %`).join(' ')} of paired ceiling` : '';
        const ee = e2e.length ? `, end to end ${e2e.map((x) => `${Math.round(x * 100)} %`).join(' ')}` : '';
        process.stderr.write(`${human(size)} ${method}: ${fmt(row.mibs)} MiB/s, wall ${fmt(row.wall, 2)} s, RSS tx ${fmt(row.txRssMiB, 0)} / rx ${fmt(row.rxRssMiB, 0)} MiB${vs}${ee}\n`);
      }
    }
    if (ONLY) return;
    // A 1 KiB file sent by xfer (its defaults) and by slixmpp (its SI over IBB, shipped defaults)
    // into the same xfer receiver, alternating: each sender process from start to exit.
    const kib = makeFile(dir, 1024);
    const xferK: number[] = [];
    const slixK: number[] = [];
    for (let i = 0; i < Math.max(RUNS, 3); i++) {
      xferK.push((await transfer(FIXTURE, kib, [], COLD)).txWall);
      slixK.push((await slixmppSend(FIXTURE, kib, 'ibb')).txWall);
    }
    // slixmpp's IBB (its default 4 KiB blocks, one in flight) into an xfer receiver, same Prosody.
    const slixSize = QUICK ? 1 << 20 : 8 << 20;
    const slixFile = makeFile(dir, slixSize);
    const slixRates: number[] = [];
    for (let i = 0; i < (QUICK ? 1 : 3); i++) slixRates.push((await slixmppSend(FIXTURE, slixFile, 'ibb')).mibs);
    // The extra time a silent first SOCKS5 candidate costs.
    const silentFile = makeFile(dir, 1 << 20);
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const sp = (silent.address() as net.AddressInfo).port;
    const base: number[] = [];
    const slow: number[] = [];
    for (let i = 0; i < Math.max(RUNS, 3); i++) {
      base.push((await transfer(FIXTURE, silentFile, METHODS['s5b-direct']!.args, COLD)).wall);
      slow.push((await transfer(FIXTURE, silentFile, [...METHODS['s5b-direct']!.args, '--direct-host', `127.0.0.1:${sp}`, '--direct-host', 'auto'], COLD)).wall);
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
      const r = await transfer(FIXTURE, sweepFile, [...METHODS.ibb!.args, '--ibb-block-size', String(b), '--ibb-window', String(w)], COLD);
      sweep[`${b}x${w}`] = sweepSize / 1048576 / r.seconds;
    }
    const stock = flag('--no-stock') ? [] : await stockBench(dir, QUICK);
    const result = {
      date: new Date().toISOString(), quick: QUICK, runs: RUNS, rows, ceilings, defaultPath: DEFAULT_PATH,
      silentCandidate: { baseline: median(base), silentFirst: median(slow) },
      ibbSweep: { size: sweepSize, blocks, windows, mibs: sweep, default: '49152x32' },
      prosodyCpuSecondsPerMiB: ibbCpu.length ? median(ibbCpu) : null,
      slixmppIbb: { size: slixSize, mibs: median(slixRates) },
      oneKiB: { xferTxWall: median(xferK), slixmppTxWall: median(slixK), runs: xferK.length },
      cliStartup: { seconds: median(startup.map((x) => x.s)), rssMiB: median(startup.map((x) => x.kib)) / 1024 },
      stock,
    };
    writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(result, null, 2));
    writeFileSync(path.join(OUT, 'results.md'), markdown(result));
    writeFileSync(path.join(OUT, 'throughput.svg'), svg(result));
    process.stderr.write(`bench: wrote ${path.join(OUT, 'results.md')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fixture = () => ({ env, domain: DOMAIN, tx: TX, rx: RX });
/** curl PUT + curl GET of `size` bytes, as MiB/s of the two together. */
const upRate = (size: number, t: { put: number; get: number }) => size / 1048576 / (t.put + t.get);

/** The ceiling each method is judged against, measured again right before each of its runs. */
function pairedCeiling(method: string, file: string, size: number, dir: string): (() => Promise<number>) | undefined {
  if (/s5b-direct/.test(method)) return () => socatCeiling(file, size, 'file', dir);
  if (method === 'oob') return () => curlCeiling(file, size, 'file', dir);
  if (method === 'upload') return async () => upRate(size, await uploadCeiling(file, size, dir, fixture()));
  if (method === 's5b-proxy') return () => proxyCeiling(file, size, fixture());
  return undefined;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exit(1);
});
