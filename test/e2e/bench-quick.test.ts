// `npm run bench -- --quick` must keep working: run the smoke bench and check what it wrote.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/fixture.js';

it('bench --quick writes results for every method, with ceilings and an SVG', async () => {
  const out = tempDir();
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [path.join(ROOT, 'build/scripts/bench.js'), '--quick', '--users', 'ben,bea', '--out', out], { timeout: 300000 }, (err, _o, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(),
    ),
  );
  const res = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
  for (const m of ['ibb', 's5b-direct', 's5b-direct-cached', 's5b-proxy', 'oob', 'upload', 'jingle-s5b-direct', 'jingle-s5b-direct-cached', 'jingle-ibb']) {
    const row = res.rows.find((r: any) => r.method === m && r.size === 4 << 20);
    assert.ok(row && row.mibs > 0, `a measured row for ${m}`);
  }
  assert.ok(res.ceilings[4 << 20].tcp > 0 && res.ceilings[4 << 20].curl > 0 && res.ceilings[4 << 20].proxy > 0 && res.ceilings[4 << 20].upload > 0);
  assert.ok(res.oneKiB.xferTxWall > 0 && res.oneKiB.slixmppTxWall > 0, 'the 1 KiB sender comparison with slixmpp');
  // The stock-server section: xfer's and slixmpp's IBB through Debian's 10 kB/s limit, and the notice.
  const [stock] = res.stock;
  assert.ok(stock.xferIbbKiBs > 0 && stock.slixmppIbbKiBs > 0 && stock.slow, JSON.stringify(stock));
  assert.match(readFileSync(path.join(out, 'results.md'), 'utf8'), /## Targets[^]*End to end[^]*## Stock servers/);
  assert.ok(Object.keys(res.ibbSweep.mibs).length >= 4);
  assert.match(readFileSync(path.join(out, 'results.md'), 'utf8'), /\| 4 MiB \| ibb \|/);
  assert.ok(existsSync(path.join(out, 'throughput.svg')));
});
