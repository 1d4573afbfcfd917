// The bench on servers as their packages ship them (fixtures/*/profile-stock.*): Prosody with
// Debian's mod_limits (10 kB/s per client), ejabberd with its default shaper (3000 B/s). What
// users of a default install meet: does xfer's default choice avoid the crawl, how fast is IBB
// through the limit next to slixmpp's, and does the sender say so (the 'slow' event)?
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median } from './bench-report.js';
import { makeFile, rateSeen, run, slixmppSend, transfer, users, type Target } from './bench-procs.js';
import { privateServer } from '../test/helpers/servers.js';

/** Start one stock-profile server on its own ports; `stop` stops only what this started. */
function startStock(kind: 'prosody' | 'ejabberd'): { target: Target; stop: () => void } {
  const own = privateServer(kind, kind === 'prosody' ? 25420 : 35420, `${kind}-bench-stock`, 'stock');
  const s = own.start();
  return { target: { name: `${kind} (stock)`, server: s.server, ca: s.caFile, domain: s.domain }, stop: own.stop };
}

/** xfer's IBB through the limit for `forMs`, then cancelled: the rate the receiver saw and the sender's 'slow' event. */
async function xferCrawl(t: Target, file: string, forMs: number): Promise<{ mibs: number; slow?: { rate: number; eta: number; afterS: number } }> {
  const out = mkdtempSync(path.join(tmpdir(), 'xfer-bench-rx-'));
  const rx = run(users.rx, ['receive', '-o', out, '--from', `${users.tx}@${t.domain}`, '--once', '--retry-grace', '0', '--timeout', String(forMs / 1000 + 60)], t, {}, true);
  await rx.p.wait('listening');
  const tx = run(users.tx, ['send', file, `${users.rx}@${t.domain}`, '--methods', 'ibb'], t, {}, true);
  const timer = setTimeout(tx.stop, forMs);
  const s = await tx.done;
  clearTimeout(timer);
  const r = await rx.done;
  rmSync(out, { recursive: true, force: true });
  const slow = s.events.find((e) => e.event === 'slow');
  return { mibs: rateSeen(r), slow: slow && { rate: slow.rate, eta: slow.eta, afterS: (slow.t - s.started) / 1000 } };
}

export interface StockRow {
  server: string;
  /** xfer -> xfer with the defaults: what it picked and how long it took */
  defaultMethod: string; defaultProtocol?: string; defaultWall: number; defaultMibs: number; defaultSize: number;
  /** IBB through the limit (KiB/s of file, as the receiver saw it) */
  xferIbbKiBs: number; slixmppIbbKiBs: number; crawlSeconds: number;
  slow?: { rate: number; eta: number; afterS: number };
  /** a 1 KiB send, the sender process start to exit (median): xfer with its defaults, slixmpp (SI over IBB) */
  oneKiB: { xfer: number; slixmpp: number };
}

export async function stockBench(dir: string, quick: boolean): Promise<StockRow[]> {
  const rows: StockRow[] = [];
  const defaultSize = quick ? 4 << 20 : 64 << 20;
  const big = makeFile(dir, defaultSize);
  const crawlFile = makeFile(dir, 2 << 20);
  const kib = makeFile(dir, 1024);
  for (const kind of quick ? (['prosody'] as const) : (['prosody', 'ejabberd'] as const)) {
    const srv = startStock(kind);
    try {
      // ejabberd's shaper lets 20000 bytes through at once and xfer's first IBB block is 48 KiB:
      // its first acknowledgement comes after ~15 s there.
      const forMs = quick ? 8000 : kind === 'ejabberd' ? 40_000 : 25_000;
      const d = await transfer(srv.target, big, []);
      // Every round trip through a stock server waits on Nagle and delayed ACKs (~45 ms each here).
      const xk: number[] = [];
      const sk: number[] = [];
      for (let i = 0; i < 3; i++) {
        xk.push((await transfer(srv.target, kib, [])).txWall);
        sk.push((await slixmppSend(srv.target, kib, 'ibb')).txWall);
      }
      const x = await xferCrawl(srv.target, crawlFile, forMs);
      const sl = await slixmppSend(srv.target, crawlFile, 'ibb', forMs);
      rows.push({
        server: srv.target.name, defaultMethod: d.method, defaultProtocol: d.protocol, defaultWall: d.wall, defaultMibs: d.bytes / 1048576 / d.seconds, defaultSize,
        xferIbbKiBs: x.mibs * 1024, slixmppIbbKiBs: sl.mibs * 1024, crawlSeconds: forMs / 1000, slow: x.slow,
        oneKiB: { xfer: median(xk), slixmpp: median(sk) },
      });
      process.stderr.write(`stock ${kind}: default ${d.method} ${(d.bytes / 1048576 / d.seconds).toFixed(1)} MiB/s; IBB xfer ${(x.mibs * 1024).toFixed(1)} vs slixmpp ${(sl.mibs * 1024).toFixed(1)} KiB/s; slow notice ${x.slow ? `after ${x.slow.afterS.toFixed(1)} s, eta ${x.slow.eta} s` : 'none'}; 1 KiB sender xfer ${median(xk).toFixed(2)} s vs slixmpp ${median(sk).toFixed(2)} s\n`);
    } finally {
      srv.stop();
    }
  }
  return rows;
}
