// Interop with Libervia 0.9 (Debian libervia-backend + libervia-cli, shipped defaults; set-up in
// test/helpers/libervia.ts): Jingle File Transfer in both directions over SOCKS5 and IBB, and SI
// from xfer to Libervia. Every cell checks the sha-256 of what arrived.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { jidOf, PROSODY } from '../helpers/fixture.js';
import { Libervia, waitForFile } from '../helpers/libervia.js';

const XFER = 'tom';
const LV = 'una';
const SIZE = 700 * 1024 + 13;

describe('interop with Libervia on prosody', () => {
  const lv = new Libervia(PROSODY);
  let lvJid = '';
  const src = tempDir();
  const file = randomFile(src, 'libervia.bin', SIZE);
  before(async () => {
    await lv.start();
    lvJid = lv.profile(LV);
  });
  after(() => lv.stop());

  // xfer -> Libervia: Libervia's `file receive` accepts from the listed JID and never exits.
  const cells: Array<[string, string[], string, string]> = [
    ['jingle s5b', ['--methods', 's5b'], 'jingle', 's5b'],
    ['jingle ibb', ['--methods', 'ibb'], 'jingle', 'ibb'],
    ['si s5b', ['--methods', 's5b', '--protocol', 'si'], 'si', 's5b'],
    ['si ibb', ['--methods', 'ibb', '--protocol', 'si'], 'si', 'ibb'],
  ];
  for (const [label, args, protocol, method] of cells) {
    it(`xfer->libervia ${label}`, async () => {
      const out = tempDir();
      const rx = lv.spawnCli(['file', 'receive', '-p', LV, '--path', out, jidOf(XFER)]);
      try {
        await new Promise((r) => setTimeout(r, 3000)); // the CLI registers its acceptance with the backend first
        const tx = await xfer(XFER, ['send', file, lvJid, ...args, '--peer-timeout', '15']).done;
        assert.equal(tx.code, 0, `${tx.stderr}\n${rx.output()}\n${lv.backendLog()}`);
        const done = tx.events.find((e) => e.event === 'done');
        assert.equal(done.protocol, protocol);
        assert.equal(done.method, method);
        assert.ok(await waitForFile(path.join(out, 'libervia.bin'), SIZE, 20000), rx.output());
        assert.equal(await sha256File(path.join(out, 'libervia.bin')), await sha256File(file));
      } finally {
        rx.child.kill('SIGTERM');
      }
    });
  }

  // Libervia -> xfer: Libervia always starts with SOCKS5 and only the initiator falls back, so the
  // IBB cell is an xfer receiver that takes IBB only: it answers SOCKS5 with candidate-error and
  // Libervia moves to IBB with transport-replace, inside the same session.
  for (const method of ['s5b', 'ibb']) {
    it(`libervia->xfer jingle ${method}`, async () => {
      const out = tempDir();
      const rx = await receiver(XFER, ['-o', out, '--from', jidOf(LV), '--once', '--timeout', '60', '--methods', method]);
      const me = rx.events.find((e) => e.event === 'listening').jid;
      const tx = lv.spawnCli(['file', 'send', '-p', LV, file, me]);
      try {
        const r = await rx.done;
        assert.equal(r.code, 0, `${r.stderr}\n${tx.output()}`);
        const done = r.events.find((e) => e.event === 'done');
        assert.equal(done.protocol, 'jingle');
        assert.equal(done.method, method);
        // Libervia sends its sha-256 after the data (as the hex text, base64-encoded): checked.
        assert.equal(done.verified, 'sha-256');
        assert.equal(await sha256File(path.join(out, 'libervia.bin')), await sha256File(file));
      } finally {
        tx.child.kill('SIGTERM');
      }
    });
  }
});
