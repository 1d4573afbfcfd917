// The npm package as a user gets it: `npm pack`, then `npm install -g` of that tarball into a
// temporary prefix (one bundle, no runtime dependencies, no build step), and a real transfer sent by
// the installed `xfer` to a receiver from this checkout, checked by sha-256.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { jidOf, ROOT } from '../helpers/fixture.js';

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

it('npm pack + npm install -g: the installed xfer sends a file (no build on the user side)', async () => {
  const dir = tempDir('xfer-pack-');
  // The build is already there (npm test built it); --ignore-scripts keeps pack from rebuilding under running tests.
  const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT));
  const files: string[] = packed.files.map((f: any) => f.path);
  assert.ok(files.includes('bin/xfer') && files.includes('build/xfer/cli.js'), files.join(' '));
  for (const f of files) assert.match(f, /^(bin\/xfer|build\/xfer\/[\w.-]+\.js|package\.json|README\.md|LICENSE)$/, `${f} does not belong in the package`);
  const prefix = path.join(dir, 'prefix');
  npm(['install', '-g', '--prefix', prefix, path.join(dir, packed.filename)], dir);
  const bin = path.join(prefix, 'bin/xfer');
  assert.ok(existsSync(bin));
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  assert.equal(version, JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);

  const out = tempDir();
  const f = randomFile(tempDir(), 'from-the-package.bin', 3 << 20);
  const rx = await receiver('walt', ['-o', out, '--from', jidOf('vera'), '--once', '--timeout', '60']);
  const tx = await xfer('vera', ['send', f, jidOf('walt')], { bin }).done;
  const r = await rx.done;
  assert.equal(tx.code, 0, tx.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sha256File(path.join(out, 'from-the-package.bin')), await sha256File(f));
});
