// Human output on stderr: chalk colours (NO_COLOR honoured by chalk itself) and a `progress`
// bar per transfer when stderr is a terminal, plain lines otherwise. Every name a peer chose
// goes through printable() so it cannot move the cursor or reorder text.
import chalk from 'chalk';
import ProgressBar from 'progress';
import { printable } from '../files/safe-name.js';
import type { XferEvent } from './events.js';

const METHOD_LABEL: Record<string, string> = { ibb: 'IBB', s5b: 'SOCKS5', oob: 'OOB', upload: 'upload' };

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** `quiet`: only results (done, failed, declined) and errors. */
export function humanReporter(err: NodeJS.WriteStream = process.stderr, opts: { quiet?: boolean } = {}) {
  const tty = !!err.isTTY;
  // https://no-color.org: any non-empty NO_COLOR turns colour off (chalk itself does not check it).
  if (process.env.NO_COLOR) chalk.level = 0;
  else if (!tty) chalk.level = 0;
  const bars = new Map<string, ProgressBar>();
  const names = new Map<string, string>(); // sid -> file name, for the progress line
  const lastPlain = new Map<string, number>();
  // A bar is finished or cleared before anything else is printed, on every outcome: the last line
  // on the terminal is always a whole message, never "ETA 3.3s" followed by an error.
  const clearBars = () => {
    for (const b of bars.values()) b.terminate();
    bars.clear();
  };
  const line = (s: string) => {
    clearBars();
    err.write(`${s}\n`);
  };
  const p = printable;
  const label = (sid: string) => {
    const n = p(names.get(sid) ?? '');
    return n.length > 24 ? `${n.slice(0, 11)}…${n.slice(-12)}` : n;
  };
  const RESULTS = new Set(['done', 'file-failed', 'declined', 'error', 'reconnecting']);
  return (e: XferEvent) => {
    if ('sid' in e && e.sid && 'name' in e && e.name) names.set(e.sid, e.name);
    if (opts.quiet && !RESULTS.has(e.event)) return;
    switch (e.event) {
      case 'connected':
        line(chalk.dim(`connected as ${p(e.jid)}${e.server ? ` to ${p(e.server)}` : ''}`));
        break;
      case 'listening':
        line(`waiting for files as ${chalk.bold(p(e.jid))}`);
        break;
      case 'reconnecting':
        line(chalk.yellow(`${p(e.reason)}; connecting again in ${e.in} s`));
        break;
      case 'peer':
        line(chalk.dim(`peer ${p(e.jid)}`));
        break;
      case 'hashing':
        if (e.bytes === e.total && e.total > 64 << 20) line(chalk.dim(`hashed ${p(e.file)} (${formatBytes(e.total)})`));
        else if (e.bytes < e.total) line(chalk.dim(`hashing ${p(e.file)}: ${formatBytes(e.bytes)} of ${formatBytes(e.total)}`));
        break;
      case 'offer':
        line(`offering ${chalk.bold(p(e.name))} (${formatBytes(e.size)}) to ${p(e.to)} via ${proto(e.protocol)}${e.methods.map((m) => METHOD_LABEL[m] ?? m).join(', ')}`);
        break;
      case 'offer-received':
        line(`offer from ${p(e.from)}: ${chalk.bold(p(e.name))} (${formatBytes(e.size)})`);
        break;
      case 'accepted':
        line(`${chalk.green('accepted')} ${e.name ? p(e.name) : ''} via ${proto(e.protocol)}${METHOD_LABEL[e.method] ?? e.method}${e.offset ? ` from byte ${e.offset}` : ''}`);
        break;
      case 'declined':
        line(chalk.yellow(`declined ${e.name ? p(e.name) : 'offer'}${e.from ? ` from ${p(e.from)}` : ''}: ${p(e.reason)}`));
        break;
      case 'method-tried':
        break;
      case 'method-failed':
        line(chalk.yellow(`${METHOD_LABEL[e.method] ?? e.method} failed: ${p(e.reason)}${/ next$/.test(e.reason) ? '' : '; trying the next method'}`));
        break;
      case 'slow': {
        const eta = e.eta < 0 ? 'no end in sight' : `about ${e.eta >= 120 ? `${Math.round(e.eta / 60)} min` : `${e.eta} s`} left`;
        line(chalk.yellow(`${METHOD_LABEL[e.method] ?? e.method} is slow: ${formatBytes(e.rate)}/s, ${eta}. ${e.advice}`));
        break;
      }
      case 'progress': {
        if (e.total === 0) break;
        if (!tty) {
          // In a log (CI, a pipe): a plain line every few seconds, like curl or rsync would.
          const now = Date.now();
          if (e.bytes < e.total && now - (lastPlain.get(e.sid) ?? 0) < 5000) break;
          if (e.bytes === e.total && lastPlain.get(e.sid) === Infinity) break; // the end, once
          lastPlain.set(e.sid, e.bytes === e.total ? Infinity : now);
          const eta = e.rate > 0 && e.bytes < e.total ? `, ETA ${Math.ceil((e.total - e.bytes) / e.rate)} s` : '';
          err.write(`  ${label(e.sid)}: ${formatBytes(e.bytes)} of ${formatBytes(e.total)} (${Math.floor((100 * e.bytes) / e.total)} %), ${formatBytes(e.rate)}/s${eta}\n`);
          break;
        }
        let bar = bars.get(e.sid);
        if (!bar) {
          bar = new ProgressBar(`  ${label(e.sid)} ${METHOD_LABEL[e.method] ?? e.method} [:bar] :percent :xfered :speed/s ETA :etas`, {
            total: e.total,
            width: 30,
            complete: '=',
            incomplete: ' ',
            stream: err,
            clear: true,
          });
          bars.set(e.sid, bar);
        }
        const delta = e.bytes - bar.curr;
        if (delta > 0) bar.tick(delta, { xfered: formatBytes(e.bytes), speed: formatBytes(e.rate) });
        break;
      }
      case 'done': {
        const rate = e.seconds > 0 ? `${formatBytes(e.bytes / e.seconds)}/s` : '';
        const where = e.direction === 'received' ? ` -> ${p(e.path ?? '')}` : ` to ${p(e.peer)}`;
        line(`${chalk.green('✓')} ${e.direction} ${chalk.bold(p(e.name))}${where} ${formatBytes(e.bytes)} in ${e.seconds.toFixed(2)} s ${rate} via ${proto(e.protocol)}${METHOD_LABEL[e.method] ?? e.method}`);
        line(chalk.dim(`  sha-256 ${e.sha256}${e.verified ? ` (verified: ${e.verified})` : ''}`));
        break;
      }
      case 'file-failed':
        line(chalk.red(`✗ ${p(e.name)}: ${p(e.reason)}`) + (e.kept ? chalk.dim(` (kept ${formatBytes(e.kept)} to resume)`) : ''));
        break;
      case 'error':
        line(chalk.red(`xfer: ${p(e.message)}`));
        break;
    }
  };
}

/** "Jingle " / "SI " before the transport's name, e.g. "via Jingle SOCKS5". */
function proto(p: string | undefined): string {
  return p === 'jingle' ? 'Jingle ' : p === 'si' ? 'SI ' : '';
}
