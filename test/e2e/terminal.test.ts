// What a person at a terminal sees, in a real pseudo-terminal (util-linux `script`): a progress bar
// named after the file, and a clean last line on every outcome (done, interrupted), never a bar's
// leftovers such as "ETA 3.3s" in front of the result. The README's description of the progress
// output is this test's assertions.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir } from '../helpers/cli.js';
import { CA_FILE, jidOf, passwordOf, ROOT, SERVER } from '../helpers/fixture.js';

const A = 'vera';
const B = 'walt';

/** Run xfer under a pty; resolves with the raw output and the screen's lines (\r and escapes applied). */
function inTerminal(args: string[], opts: { interruptAfterMs?: number } = {}) {
  const cmd = [process.execPath, path.join(ROOT, 'bin/xfer'), ...args, '--jid', jidOf(A), '--server', SERVER, '--ca', CA_FILE].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', `stty cols 100; ${cmd}`, '/dev/null'], { env: { ...process.env, XFER_PASSWORD: passwordOf(A), NO_COLOR: '1', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (raw += d));
  if (opts.interruptAfterMs) setTimeout(() => child.stdin.write('\x03'), opts.interruptAfterMs);
  return new Promise<{ code: number | null; raw: string; screen: string[] }>((resolve) =>
    child.on('close', (code) => {
      // A minimal terminal: "cursor to column 1" is a carriage return, other escapes change nothing here.
      const screen = raw
        .replace(/\x1b\[1?G/g, '\r')
        .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
        .split('\n')
        .map((l) => l.split('\r').filter((s) => s.trim() !== '').at(-1) ?? '')
        .map((l) => l.trimEnd())
        .filter(Boolean);
      resolve({ code, raw, screen });
    }),
  );
}

it('progress in a terminal: a bar named after the file, then a clean result line', async () => {
  const out = tempDir();
  const f = randomFile(tempDir(), 'shown-on-a-tty.bin', 6 << 20);
  const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
  const r = await inTerminal(['send', f, jidOf(B), '--methods', 'ibb', '--limit-rate', '3M']);
  assert.equal((await rx.done).code, 0);
  assert.equal(r.code, 0, r.raw);
  assert.match(r.raw, /shown-on-a-tty\.bin IBB \[=*\s*\] +\d+%/, 'the bar names the file and the transport');
  const last = r.screen.at(-2) ?? '';
  assert.match(last, /^✓ sent shown-on-a-tty\.bin to .* 6\.0 MiB in [\d.]+ s [\d.]+ [KM]iB\/s via Jingle IBB$/, r.screen.join('\n'));
  assert.equal(r.screen.at(-1), `  sha-256 ${await sha256File(f)}`);
  assert.equal(await sha256File(path.join(out, 'shown-on-a-tty.bin')), await sha256File(f));
  assert.ok(!r.screen.some((l) => /ETA/.test(l)), `a bar was left on screen:\n${r.screen.join('\n')}`);
});

it('interrupted in a terminal (Ctrl-C): the bar is cleared and the last line says why', async () => {
  const out = tempDir();
  const f = randomFile(tempDir(), 'stopped.bin', 8 << 20);
  const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
  const r = await inTerminal(['send', f, jidOf(B), '--methods', 'ibb', '--limit-rate', '1M'], { interruptAfterMs: 2500 });
  await rx.done;
  assert.equal(r.code, 130, r.raw);
  assert.match(r.raw, /stopped\.bin IBB \[/, 'a bar was shown');
  assert.match(r.screen.at(-1)!, /^xfer: .*interrupted/, r.screen.join('\n'));
  assert.ok(!r.screen.some((l) => /ETA/.test(l)), `a bar was left on screen:\n${r.screen.join('\n')}`);
});
