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
  return r.method === 'oob' || r.method === 'upload' ? ['curl to file', cc.curl] : ['socat copy', cc.tcp];
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
  L.push('| size | socat copy (file → TCP → file) | socat to /dev/null | hashing receiver (socat → Python: sha-256 + file) | node net pipe (one process, to memory) | curl to file | curl to /dev/null | Prosody proxy65 relay |', '|---|---|---|---|---|---|---|---|');
  for (const [s, c] of Object.entries(res.ceilings) as any) L.push(`| ${human(Number(s))} | ${fmt(c.tcp)} | ${fmt(c.tcpNull)} | ${fmt(c.hashing)} | ${fmt(c.nodePipe)} | ${fmt(c.curl)} | ${fmt(c.curlNull)} | ${fmt(c.proxy)} |`);
  L.push('', '## Methods', '', 'Data MiB/s: from the offer being accepted to the verified file in place (receiver side; sha-256 checked). Wall: both CLIs from start to exit, login and the sender\'s hashing included.', '', '| size | method | data MiB/s (min–max) | vs ceiling | wall s (min–max) | peak RSS tx / rx MiB | first byte s |', '|---|---|---|---|---|---|---|');
  for (const r of res.rows) {
    const [name, c] = ceilingFor(r, res);
    const ratio = r.pairedRatio != null ? `${fmt(100 * r.pairedRatio, 0)} % of ${name} (paired runs)` : Number.isFinite(c) ? `${fmt((100 * r.mibs) / c, 0)} % of ${name}` : '';
    L.push(`| ${human(r.size)} | ${r.method} | ${fmt(r.mibs)} (${fmt(r.mibsMin)}–${fmt(r.mibsMax)}) | ${ratio}${extraRatio(r, res) ? `; ${extraRatio(r, res)}` : ''} | ${fmt(r.wall, 2)} (${fmt(r.wallMin, 2)}–${fmt(r.wallMax, 2)}) | ${fmt(r.txRssMiB, 0)} / ${fmt(r.rxRssMiB, 0)} | ${fmt(r.ttfb, 3)} |`);
  }
  L.push('', ...targets(res));
  L.push('', '## Latency', '', `A silent first SOCKS5 candidate: ${fmt(res.silentCandidate.silentFirst, 2)} s end to end vs ${fmt(res.silentCandidate.baseline, 2)} s without (1 MiB).`);
  if (res.prosodyCpuSecondsPerMiB !== null) L.push('', `Prosody CPU per MiB relayed over IBB: ${fmt(res.prosodyCpuSecondsPerMiB, 3)} s.`);
  if (res.cliStartup) L.push('', `The CLI alone (\`xfer --version\`: start, imports, exit): ${fmt(res.cliStartup.seconds, 2)} s, ${fmt(res.cliStartup.rssMiB, 0)} MiB peak RSS (median of 5).`);
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
  if (s5b && c) add('SOCKS5 direct ≥ 75 % of the raw loopback copy', `${fmt(ratioOf(s5b, c.tcp), 0)} % of socat copy, median of paired runs (${fmt(pct(s5b.mibs, c.tcpNull), 0)} % of socat to /dev/null). The minimal hashing receiver, paired the same way, makes ${fmt(100 * (s5b.hashingVsCopy ?? c.hashing / c.tcp), 0)} % of socat copy; xfer ${fmt(100 * (s5b.pairedHashingRatio ?? s5b.mibs / c.hashing), 0)} % of it`, ratioOf(s5b, c.tcp) >= 75);
  const oob = row('oob');
  if (oob && c) add('OOB ≥ 75 % of curl', `${fmt(ratioOf(oob, c.curl), 0)} % of curl to file, median of paired runs (${fmt(pct(oob.mibs, c.curlNull), 0)} % of curl to /dev/null)`, ratioOf(oob, c.curl) >= 75);
  const ibb = row('ibb');
  if (ibb) {
    const wall = res.prosodyCpuSecondsPerMiB ? 1 / res.prosodyCpuSecondsPerMiB : NaN;
    const slix = res.slixmppIbb?.mibs;
    add('IBB ≥ 22 MiB/s (10× slixmpp), or ≥ 80 % of Prosody\'s CPU wall', `${fmt(ibb.mibs)} MiB/s = ${fmt(ibb.mibs / slix)}× slixmpp's IBB (${fmt(slix, 2)} MiB/s, measured); Prosody ${fmt(res.prosodyCpuSecondsPerMiB, 3)} CPU s/MiB = wall ${fmt(wall)} MiB/s → ${fmt(pct(ibb.mibs, wall), 0)} %`, ibb.mibs >= 22 || pct(ibb.mibs, wall) >= 80);
  }
  const js5b = row('jingle-s5b-direct');
  if (js5b && s5b) {
    add('Jingle SOCKS5 direct within 10 % of SI SOCKS5 direct\'s data rate', `${fmt(js5b.mibs)} vs ${fmt(s5b.mibs)} MiB/s = ${fmt(pct(js5b.mibs, s5b.mibs), 0)} %`, js5b.mibs >= 0.9 * s5b.mibs);
    add('Jingle SOCKS5 direct wall time below SI\'s (no separate hashing pass)', `${fmt(js5b.wall, 2)} vs ${fmt(s5b.wall, 2)} s end to end, both CLIs`, js5b.wall < s5b.wall);
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
