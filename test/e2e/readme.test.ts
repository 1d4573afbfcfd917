// The README's usage example, run as written: the ```sh block under "## Usage", with alice and
// bob@example.org read as two fixture accounts, ~/Downloads as a temporary folder, the named files created, and
// each account's password in XFER_PASSWORD (the block's `export` line).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { sha256File, tempDir } from '../helpers/cli.js';
import { CA_FILE, DOMAIN, passwordOf, ROOT, SERVER } from '../helpers/fixture.js';

it("the README's usage example works as written", async () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /## Usage\n+```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has a ```sh block under ## Usage');
  const lines = block.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l.startsWith('xfer '));
  assert.equal(lines.length, 2);
  const cwd = tempDir();
  const downloads = tempDir();
  const run = (line: string) => {
    // alice and bob are xena and yuri here: other test files use alice and bob at the same time.
    const argv = line.replace(/alice@example\.org/g, `xena@${DOMAIN}`).replace(/bob@example\.org/g, `yuri@${DOMAIN}`).replace('~/Downloads', downloads).split(/\s+/).slice(1);
    const jid = argv[argv.indexOf('--jid') + 1]!;
    for (const a of argv) if (/\.(pdf|jpg)$/.test(a)) writeFileSync(path.join(cwd, a), `${a} ${'x'.repeat(50_000)}`);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/xfer'), ...argv], {
      cwd,
      env: { ...process.env, XFER_PASSWORD: passwordOf(jid.split('@')[0]!), XFER_SERVER: SERVER, XFER_CA: CA_FILE, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    return { child, done: new Promise<{ code: number | null; err: string }>((r) => child.on('close', (code) => r({ code, err }))) };
  };
  const rx = run(lines[0]!);
  await new Promise((r) => setTimeout(r, 1500));
  const tx = await run(lines[1]!).done;
  const r = await rx.done;
  assert.equal(tx.code, 0, tx.err);
  assert.equal(r.code, 0, r.err);
  for (const f of ['report.pdf', 'photo.jpg']) assert.equal(await sha256File(path.join(downloads, f)), await sha256File(path.join(cwd, f)));
});
