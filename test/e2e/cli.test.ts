// The command line as people and scripts meet it (issue: installs like a real CLI): options that
// compose, help with examples, files checked before the password, usage errors as JSON, SIGTERM,
// --xml and --verbose, and files saved with normal permissions and the sender's date.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { CA_FILE, jidOf, passwordOf, ROOT, SERVER } from '../helpers/fixture.js';

const A = 'vera';
const B = 'walt';
const BIN = path.join(ROOT, 'bin/xfer');

describe('command line', () => {
  it('help shows examples; defaults appear once', () => {
    for (const cmd of ['send', 'receive', 'probe']) {
      const out = execFileSync(process.execPath, [BIN, cmd, '--help'], { encoding: 'utf8' });
      assert.match(out, /Examples:\n {2}xfer /, cmd);
      assert.doesNotMatch(out, /\(default: [^)]*\) \(default:/, cmd);
    }
  });

  it('a missing file is reported before any password prompt or login (exit 11)', async () => {
    const r = await xfer(A, ['send', '/nonexistent/file.bin', jidOf(B)], { env: { XFER_PASSWORD: '' } }).done;
    assert.equal(r.code, 11, r.stderr);
    assert.match(r.events.find((e) => e.event === 'error').message, /no such file/);
    assert.ok(!r.events.some((e) => e.event === 'connected'));
  });

  it('with --json a command-line mistake is a JSON error event (exit 2)', () => {
    const r = spawnSync(process.execPath, [BIN, 'send', '--json', '--no-such-option', 'f', 'bob@x'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    const e = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(e.event, 'error');
    assert.equal(e.code, 'EUSAGE');
    assert.match(e.message, /unknown option/);
  });

  it('options with several values never swallow FILE and JID; received files get normal permissions and the sender\'s date', async () => {
    const src = tempDir();
    const f = randomFile(src, 'composed.bin', 200_000);
    const when = new Date('2020-02-02T20:20:20Z');
    utimesSync(f, when, when);
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--from', `nobody@localhost,${jidOf(A)}`, '--once', '--timeout', '60']);
    // --proxy before FILE and JID, and again comma-separated: repeatable, not variadic.
    const tx = await xfer(A, ['send', '--proxy', 'proxy.localhost', '--methods', 's5b', '--no-direct', f, '--proxy', 'proxy.localhost', jidOf(B)]).done;
    const r = await rx.done;
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(r.code, 0, r.stderr);
    const saved = path.join(out, 'composed.bin');
    assert.equal(await sha256File(saved), await sha256File(f));
    const st = statSync(saved);
    assert.equal(st.mode & 0o777, 0o666 & ~process.umask());
    assert.equal(st.mtime.getTime(), when.getTime());
  });

  it('SIGTERM cleans up like Ctrl-C and exits 143', async () => {
    const out = tempDir();
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
    rx.child.kill('SIGTERM');
    const r = await rx.done;
    assert.equal(r.code, 143, r.stderr);
  });

  it('--xml prints the stream with SASL payloads redacted; --verbose prints each Jingle step', async () => {
    const out = tempDir();
    const f = randomFile(tempDir(), 'xml.bin', 10_000);
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
    const tx = await xfer(A, ['send', f, jidOf(B), '--xml', '--verbose', '--methods', 'ibb']).done;
    await rx.done;
    assert.equal(tx.code, 0, tx.stderr);
    assert.equal(await sha256File(path.join(out, 'xml.bin')), await sha256File(f));
    assert.match(tx.stderr, /^>> <auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl"[^>]*>\[redacted\]<\/auth>$/m);
    assert.match(tx.stderr, /^<< .*session-accept/m);
    assert.doesNotMatch(tx.stderr, new RegExp(`${A}-secret`));
    assert.match(tx.stderr, /^xfer:jingle: .* -> .* session-initiate$/m);
  });

  it('a folder: every regular file, subfolders recreated by an xfer receiver, symlinks not followed', async () => {
    const root = path.join(tempDir(), 'album');
    mkdirSync(path.join(root, 'sub/deeper'), { recursive: true });
    const a = randomFile(root, 'a.bin', 70_000);
    const b = randomFile(path.join(root, 'sub'), 'b.bin', 30_000);
    const c = randomFile(path.join(root, 'sub/deeper'), 'c.bin', 1_000);
    symlinkSync('/etc/hostname', path.join(root, 'sub/outside-link'));
    const out = tempDir();
    for (const protocol of ['jingle', 'si']) {
      const dest = path.join(out, protocol);
      mkdirSync(dest);
      const rx = await receiver(B, ['-o', dest, '--from', jidOf(A), '--count', '3', '--timeout', '60']);
      const tx = await xfer(A, ['send', root, jidOf(B), '--protocol', protocol]).done;
      const r = await rx.done;
      assert.equal(tx.code, 0, tx.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(tx.events.filter((e) => e.event === 'offer').map((e) => e.name), ['album_a.bin', 'album_sub_b.bin', 'album_sub_deeper_c.bin']);
      assert.equal(await sha256File(path.join(dest, 'album/a.bin')), await sha256File(a));
      assert.equal(await sha256File(path.join(dest, 'album/sub/b.bin')), await sha256File(b));
      assert.equal(await sha256File(path.join(dest, 'album/sub/deeper/c.bin')), await sha256File(c));
      assert.ok(!existsSync(path.join(dest, 'album/sub/outside-link')));
    }
  });

  it('standard input with --name, and receive --stdout into a pipe', async () => {
    const data = randomBytes(300_000);
    const rx = xfer(B, ['receive', '--stdout', '--from', jidOf(A), '--timeout', '60'], { human: true, stdoutEncoding: 'buffer' });
    await new Promise((r) => setTimeout(r, 1500));
    const tx = spawnSync(process.execPath, [BIN, 'send', '-', jidOf(B), '--name', 'piped.bin', '--json', '--jid', jidOf(A), '--server', SERVER, '--ca', CA_FILE], { input: data, env: { ...process.env, XFER_PASSWORD: passwordOf(A) }, encoding: 'utf8' });
    assert.equal(tx.status, 0, tx.stderr);
    const offer = tx.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.event === 'offer');
    assert.equal(offer.name, 'piped.bin');
    assert.equal(offer.size, data.length);
    const r = await rx.done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Buffer.compare(r.stdoutBuffer!, data) === 0, `got ${r.stdoutBuffer?.length} bytes`);
  });

  it('--stdout and --json together, or - without --name: usage errors', async () => {
    assert.equal((await xfer(B, ['receive', '--stdout'], {}).done).code, 2);
    assert.equal((await xfer(A, ['send', '-', jidOf(B)], {}).done).code, 2);
  });

  it('FAT (no hard links): the file is placed by an exclusive create + rename, never over an existing one', async (t) => {
    const img = path.join(tempDir(), 'fat.img');
    const mnt = tempDir();
    const setup = spawnSync('/bin/sh', ['-c', `command -v mkfs.vfat >/dev/null || exit 3; truncate -s 16M ${img} && mkfs.vfat ${img} >/dev/null && mount -o loop ${img} ${mnt}`], { encoding: 'utf8' });
    if (setup.status !== 0) return t.skip(`cannot mount a vfat image here (${setup.status === 3 ? 'no mkfs.vfat' : setup.stderr.trim().split('\n')[0]}); the fallback itself is covered by test/unit/sink.test.ts with link() failing as on FAT`);
    try {
      const out = path.join(mnt, 'in');
      mkdirSync(out);
      const f = randomFile(tempDir(), 'fat.bin', 100_000);
      for (let i = 0; i < 2; i++) {
        const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
        const tx = await xfer(A, ['send', f, jidOf(B)]).done;
        assert.equal(tx.code, 0, tx.stderr);
        assert.equal((await rx.done).code, 0);
      }
      assert.equal(await sha256File(path.join(out, 'fat.bin')), await sha256File(f));
      assert.equal(await sha256File(path.join(out, 'fat (1).bin')), await sha256File(f));
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
