// Rendering `npm run bench` results: the Markdown tables (ceilings, methods, the issue's targets,
// latency, IBB sweep) and the SVG chart, from results.json alone (`--render` redoes them).
import type { Ceilings } from './ceilings.js';

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
export const human = (n: number) => (n >= 1 << 20 ? `${n / 1048576} MiB` : `${n / 1024} KiB`);

function ceilingFor(r: any, res: any): [string, number] {
  // IBB goes through Prosody, which spends a fixed CPU time per MiB it relays: 1 / that is the
  // most any client could get through this server on one core.
  if ((r.method === 'ibb' || r.method === 'jingle-ibb') && res.prosodyCpuSecondsPerMiB) return ['Prosody CPU wall', 1 / res.prosodyCpuSecondsPerMiB];
  const cc = res.ceilings[r.size] as Ceilings | undefined;
  if (!cc) return ['', NaN];
  if (r.method === 's5b-proxy') return ['proxy65 relay', cc.proxy];
  if (r.method === 'upload') return ['curl PUT + GET', cc.upload ?? NaN];
  return r.method === 'oob' ? ['curl to file', cc.curl] : ['socat copy', cc.tcp];
}

function extraRatio(r: any, res: any): string {
  const cc = res.ceilings[r.size] as Ceilings | undefined;
  if (!cc) return '';
  if (r.method === 'ibb') return `${fmt((100 * r.mibs) / cc.tcp, 0)} % of socat copy`;
  if (r.method === 's5b-direct') {
    const h = r.pairedHashingRatio != null ? `${fmt(100 * r.pairedHashingRatio, 0)} % of the minimal hashing receiver (paired runs)` : `${fmt((100 * r.mibs) / cc.hashing, 0)} % of the minimal hashing receiver`;
    return `${fmt((100 * r.mibs) / cc.tcpNull, 0)} % of socat to /dev/null; ${h}`;
  }
  if (r.method === 'oob') return `${fmt((100 * r.mibs) / cc.curlNull, 0)} % of curl to /dev/null`;
  return '';
}

export function markdown(res: any): string {
  const L = [`# xfer benchmark`, '', `${res.date}, ${res.quick ? 'quick smoke run' : 'full run'}, median of ${res.runs} run(s) (min–max), fixture Prosody on loopback, 2 cores.`, ''];
  L.push('## Ceilings (same run, median of 3, MiB/s)', '');
  L.push('"Copy" ceilings write the file into the same filesystem xfer receives into, as xfer does; the /dev/null ones show the loopback alone.', '');
  L.push('"Hashing receiver" is a reference, not a ceiling: socat sends, a minimal Python receiver reads into one 1 MiB buffer, computes sha-256 (OpenSSL) and writes the file — the receiving work xfer does, with nothing else.', '');
  L.push('"curl PUT + GET": curl uploading the file to a slot of the fixture\'s own upload service, then downloading it into the receive filesystem (the ceiling for HTTP upload, which does both).', '');
  L.push('| size | socat copy (file → TCP → file) | socat to /dev/null | hashing receiver (socat → Python: sha-256 + file) | node net pipe (one process, to memory) | curl to file | curl to /dev/null | curl PUT + GET | Prosody proxy65 relay |', '|---|---|---|---|---|---|---|---|---|');
  for (const [s, c] of Object.entries(res.ceilings) as any) L.push(`| ${human(Number(s))} | ${fmt(c.tcp)} | ${fmt(c.tcpNull)} | ${fmt(c.hashing)} | ${fmt(c.nodePipe)} | ${fmt(c.curl)} | ${fmt(c.curlNull)} | ${fmt(c.upload ?? NaN)} | ${fmt(c.proxy)} |`);
  L.push('', '## Methods', '', 'Data MiB/s: from the offer being accepted to the verified file in place (receiver side; sha-256 checked; HTTP upload: the PUT plus the download). Wall: both CLIs from the sender\'s start to the later exit, login and the sender\'s hashing included. End to end: the ceiling\'s time for the same bytes over wall(size) − wall(1 KiB) of the same method, paired runs. Every row sends the file for the first time, except the `-cached` rows (re-sending it: the digest comes from the hash cache, so SI skips its pass before the offer and Jingle hashes nothing while sending).', '', '| size | method | data MiB/s (min–max) | vs ceiling | end to end | wall s (min–max) | peak RSS tx / rx MiB | first byte s |', '|---|---|---|---|---|---|---|---|');
  for (const r of res.rows) {
    const [name, c] = ceilingFor(r, res);
    const ratio = r.pairedRatio != null ? `${fmt(100 * r.pairedRatio, 0)} % of ${name} (paired runs)` : Number.isFinite(c) ? `${fmt((100 * r.mibs) / c, 0)} % of ${name}` : '';
    const e2e = r.e2eRatio != null ? `${fmt(100 * r.e2eRatio, 0)} %` : '';
    L.push(`| ${human(r.size)} | ${r.method} | ${fmt(r.mibs)} (${fmt(r.mibsMin)}–${fmt(r.mibsMax)}) | ${ratio}${extraRatio(r, res) ? `; ${extraRatio(r, res)}` : ''} | ${e2e} | ${fmt(r.wall, 2)} (${fmt(r.wallMin, 2)}–${fmt(r.wallMax, 2)}) | ${fmt(r.txRssMiB, 0)} / ${fmt(r.rxRssMiB, 0)} | ${fmt(r.ttfb, 3)} |`);
  }
  L.push('', ...targets(res));
  L.push('', '## Latency', '', `A silent first SOCKS5 candidate: ${fmt(res.silentCandidate.silentFirst, 2)} s end to end vs ${fmt(res.silentCandidate.baseline, 2)} s without (1 MiB).`);
  if (res.prosodyCpuSecondsPerMiB !== null) L.push('', `Prosody CPU per MiB relayed over IBB: ${fmt(res.prosodyCpuSecondsPerMiB, 3)} s.`);
  if (res.cliStartup) L.push('', `The CLI alone (\`xfer --version\`: start, imports, exit): ${fmt(res.cliStartup.seconds, 2)} s, ${fmt(res.cliStartup.rssMiB, 0)} MiB peak RSS (median of 5).`);
  if (res.oneKiB) L.push('', `A 1 KiB send, the sender process from start to exit (median of ${res.oneKiB.runs}): xfer with its defaults ${fmt(res.oneKiB.xferTxWall, 2)} s, slixmpp (SI over IBB, shipped defaults) ${fmt(res.oneKiB.slixmppTxWall, 2)} s, into the same xfer receiver.`);
  if (res.slixmppIbb) L.push('', `slixmpp's IBB (4 KiB blocks, stop-and-wait) into xfer receive, ${human(res.slixmppIbb.size)}: ${fmt(res.slixmppIbb.mibs, 2)} MiB/s.`);
  if (res.stock?.length) {
    L.push('', '## Stock servers', '', 'Servers as their packages ship them (fixtures/*/profile-stock.*): Prosody with Debian\'s mod_limits (10 kB/s per client), ejabberd with its default shaper (3000 B/s per client). Default send: xfer → xfer with no options. IBB: forced (`--methods ibb`) for the given time, then cancelled; KiB/s of file the receiver saw. Notice: the sender\'s `slow` event (rate, time left, what to use instead).', '');
    L.push('| server | default send | 1 KiB sender s, xfer / slixmpp | IBB xfer KiB/s | IBB slixmpp KiB/s | slow notice |', '|---|---|---|---|---|---|');
    for (const r of res.stock) L.push(`| ${r.server} | ${r.defaultProtocol ?? ''} ${r.defaultMethod}: ${human(r.defaultSize)} in ${fmt(r.defaultWall, 2)} s (${fmt(r.defaultMibs)} MiB/s) | ${r.oneKiB ? `${fmt(r.oneKiB.xfer, 2)} / ${fmt(r.oneKiB.slixmpp, 2)}` : ''} | ${fmt(r.xferIbbKiBs, 2)} | ${fmt(r.slixmppIbbKiBs, 2)} | ${r.slow ? `after ${fmt(r.slow.afterS, 1)} s: ${fmt(r.slow.rate / 1024, 1)} KiB/s, ${r.slow.eta} s left` : 'none'} (${r.crawlSeconds} s run) |`);
  }
  L.push('', `## IBB block size × window (${human(res.ibbSweep.size)}, MiB/s; default ${res.ibbSweep.default})`, '', `| block \\ window | ${res.ibbSweep.windows.join(' | ')} |`, `|---|${res.ibbSweep.windows.map(() => '---').join('|')}|`);
  for (const b of res.ibbSweep.blocks) L.push(`| ${b} | ${res.ibbSweep.windows.map((w: number) => fmt(res.ibbSweep.mibs[`${b}x${w}`])).join(' | ')} |`);
  return L.join('\n') + '\n';
}

/** The issues' targets, judged from this run's numbers (never from a timed test). `ok: null`: reported, no target. */
function targets(res: any): string[] {
  const big = Math.max(...res.rows.map((r: any) => r.size));
  const row = (m: string, size = big) => res.rows.find((r: any) => r.method === m && r.size === size);
  const c: Ceilings | undefined = res.ceilings[big];
  const pct = (a: number, b: number) => (100 * a) / b;
  const L = ['## Targets', '', `| target | measured (${human(big)} unless said) | met |`, '|---|---|---|'];
  const add = (what: string, measured: string, ok: boolean | null) => L.push(`| ${what} | ${measured} | ${ok === null ? '—' : ok ? 'yes' : '**no**'} |`);
  const ratioOf = (r: any, ceiling: number) => (r.pairedRatio != null ? 100 * r.pairedRatio : pct(r.mibs, ceiling));
  const e2e = (r: any) => (r?.e2eRatio != null ? 100 * r.e2eRatio : NaN);
  // 0. End to end
  const def = row(res.defaultPath ?? 'jingle-s5b-direct');
  const s5b = row('s5b-direct');
  const cachedRow = row('s5b-direct-cached');
  const defCached = row(`${res.defaultPath ?? 'jingle-s5b-direct'}-cached`);
  if (def) add('End to end, default xfer → xfer path (Jingle SOCKS5 direct) ≥ 75 % of a socat copy', `first send ${fmt(e2e(def), 0)} %, re-send (hash from the cache) ${fmt(e2e(defCached), 0)} % (wall − wall(1 KiB) vs socat copy, median of paired runs); data phase ${fmt(ratioOf(def, c?.tcp ?? NaN), 0)} %`, e2e(def) >= 75);
  if (s5b) add('End to end, SI SOCKS5 direct: first send / re-send (hash cache)', `${fmt(e2e(s5b), 0)} % / ${fmt(e2e(cachedRow), 0)} % of socat copy; wall ${fmt(s5b.wall, 2)} / ${fmt(cachedRow?.wall ?? NaN, 2)} s`, null);
  if (res.oneKiB) add('A 1 KiB send no slower than slixmpp\'s, same server, same run', `sender process ${fmt(res.oneKiB.xferTxWall, 2)} s (xfer, defaults) vs ${fmt(res.oneKiB.slixmppTxWall, 2)} s (slixmpp)`, res.oneKiB.xferTxWall <= res.oneKiB.slixmppTxWall);
  // 1, 2. HTTP
  const oob = row('oob');
  if (oob && c) add('OOB ≥ 75 % of curl to file (verification included)', `${fmt(ratioOf(oob, c.curl), 0)} % of curl to file, median of paired runs (${fmt(pct(oob.mibs, c.curlNull), 0)} % of curl to /dev/null)`, ratioOf(oob, c.curl) >= 75);
  const up = row('upload');
  if (up && c?.upload) add('HTTP upload ≥ 75 % of curl PUT + curl GET to the same server', `${fmt(ratioOf(up, c.upload), 0)} % (PUT + download ${fmt(up.mibs)} vs ${fmt(c.upload)} MiB/s, paired)`, ratioOf(up, c.upload) >= 75);
  // 3. Lighter processes
  const heavy = res.rows.map((r: any) => ({ r, m: Math.max(r.txRssMiB, r.rxRssMiB) })).sort((a: any, b: any) => b.m - a.m);
  const over = heavy.filter((h: any) => h.m > 80).map((h: any) => `${h.r.method} ${human(h.r.size)} ${fmt(h.m, 0)}`);
  add('Peak RSS ≤ 80 MiB per side, every method and size', `largest ${fmt(heavy[0]?.m ?? NaN, 0)} MiB (${heavy[0]?.r.method}, ${human(heavy[0]?.r.size ?? 0)})${over.length ? `; over: ${over.join(', ')}` : ''}`, !over.length);
  const k = row(res.defaultPath ?? 'jingle-s5b-direct', 1024);
  const small = res.rows.filter((r: any) => r.size <= 1024);
  if (k) {
    const worst = small.reduce((a: any, b: any) => (b.wall > a.wall ? b : a));
    add('A 1 KiB transfer end to end (both CLIs) ≤ 0.25 s median', `${fmt(k.wall, 2)} s default path; slowest ${worst.method} ${fmt(worst.wall, 2)} s`, k.wall <= 0.25);
  }
  if (res.cliStartup) add('The CLI alone (`xfer --version`)', `${fmt(res.cliStartup.seconds, 2)} s, ${fmt(res.cliStartup.rssMiB, 0)} MiB`, null);
  // 4. Stock servers
  for (const r of res.stock ?? []) {
    if (r.oneKiB) add(`${r.server}: a 1 KiB send no slower than slixmpp's (within 5 %, the run-to-run jitter)`, `sender process ${fmt(r.oneKiB.xfer, 2)} vs ${fmt(r.oneKiB.slixmpp, 2)} s`, r.oneKiB.xfer <= r.oneKiB.slixmpp * 1.05);
    add(`${r.server}: xfer's IBB at least slixmpp's`, `${fmt(r.xferIbbKiBs, 2)} vs ${fmt(r.slixmppIbbKiBs, 2)} KiB/s`, r.xferIbbKiBs >= 0.95 * r.slixmppIbbKiBs);
    add(`${r.server}: the default send avoids the crawl, and a forced crawl is reported`, `default: ${r.defaultMethod} at ${fmt(r.defaultMibs)} MiB/s; IBB: ${r.slow ? `'slow' after ${fmt(r.slow.afterS, 1)} s with ${r.slow.eta} s left and the advice` : 'no notice'}`, r.defaultMethod !== 'ibb' && !!r.slow);
  }
  // Earlier rounds' targets that still hold the data phase to account.
  if (s5b && c) add('SOCKS5 direct data phase ≥ 75 % of the raw loopback copy', `${fmt(ratioOf(s5b, c.tcp), 0)} % of socat copy, median of paired runs (${fmt(pct(s5b.mibs, c.tcpNull), 0)} % of socat to /dev/null). The minimal hashing receiver, paired the same way, makes ${fmt(100 * (s5b.hashingVsCopy ?? c.hashing / c.tcp), 0)} % of socat copy; xfer ${fmt(100 * (s5b.pairedHashingRatio ?? s5b.mibs / c.hashing), 0)} % of it`, ratioOf(s5b, c.tcp) >= 75);
  const ibb = row('ibb');
  if (ibb) {
    const wall = res.prosodyCpuSecondsPerMiB ? 1 / res.prosodyCpuSecondsPerMiB : NaN;
    const slix = res.slixmppIbb?.mibs;
    add('IBB ≥ 22 MiB/s (10× slixmpp), or ≥ 80 % of Prosody\'s CPU wall', `${fmt(ibb.mibs)} MiB/s = ${fmt(ibb.mibs / slix)}× slixmpp's IBB (${fmt(slix, 2)} MiB/s, measured); Prosody ${fmt(res.prosodyCpuSecondsPerMiB, 3)} CPU s/MiB = wall ${fmt(wall)} MiB/s → ${fmt(pct(ibb.mibs, wall), 0)} %`, ibb.mibs >= 22 || pct(ibb.mibs, wall) >= 80);
  }
  // 5. Jingle rows
  if (def && s5b) {
    add('Jingle SOCKS5 direct within 10 % of SI SOCKS5 direct\'s data rate', `${fmt(def.mibs)} vs ${fmt(s5b.mibs)} MiB/s = ${fmt(pct(def.mibs, s5b.mibs), 0)} %`, def.mibs >= 0.9 * s5b.mibs);
    add('Jingle SOCKS5 direct wall time below SI\'s first send (one read of the file, not two)', `${fmt(def.wall, 2)} vs ${fmt(s5b.wall, 2)} s end to end, both CLIs`, def.wall < s5b.wall);
  }
  return L;
}

export function svg(res: any): string {
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
