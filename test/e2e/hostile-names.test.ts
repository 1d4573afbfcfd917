// File names a stranger chooses: whatever the offer says, the file lands as one plain name inside
// the output directory, and nothing the name contains can act on the terminal or a JSON log.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { receiver, tempDir, xfer } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';
import { offer, offerFor, rawPeer } from '../helpers/raw-peer.js';
import { buildClose, buildData, buildOpen } from '../../src/protocol/ibb.js';
import type { Session } from '../../src/xmpp/session.js';

const EVIL = 'pat';
const RX = 'quin';

// offered name -> the name it must land under
const NAMES: Array<[string, string]> = [
  ['../../x', 'x'],
  ['/etc/passwd', 'passwd'],
  ['a/b', 'b'],
  ['..', 'file'],
  ['.', 'file (1)'],
  ['', 'file (2)'],
  // NUL, BEL, ESC and the other C0 controls but tab/LF/CR are not allowed in XML 1.0: the server
  // closes the stream of whoever sends them, so they never reach a receiver (safeFileName's unit
  // test covers them anyway). What can travel: tab, DEL, C1 controls (U+009B is an 8-bit CSI),
  // bidi overrides and zero-width characters.
  ['tab\there\u007f', 'tab here'], // XML attribute normalisation turns the tab into a space
  ['\u009b2J\u009d0;pwned\u009cclear.txt', '2J0;pwnedclear.txt'],
  ['zero\u200bwidth\u2066.txt', 'zerowidth.txt'],
  ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
  ['CON', '_CON'],
  ['aux.txt', '_aux.txt'],
];
const LONG = `${'n'.repeat(300)}.txt`;
// Anything that would move the cursor, retitle the window or reorder text.
const TERMINAL_ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

async function sendIbb(s: Session, to: string, name: string, data: Buffer) {
  const o = offerFor(data, { name });
  assert.equal((await offer(s, to, o))?.method, 'http://jabber.org/protocol/ibb', `offer of ${JSON.stringify(name)}`);
  await s.iq(to, 'set', buildOpen(o.sid, 4096));
  await s.iq(to, 'set', buildData(o.sid, 0, data));
  await s.iq(to, 'set', buildClose(o.sid));
}

describe('hostile file names', () => {
  let pat: Session;
  before(async () => {
    pat = await rawPeer(EVIL);
  });
  after(async () => {
    await pat.close();
  });

  it('every name lands as one plain file inside the output directory, with its own bytes', async () => {
    const parent = tempDir();
    const out = path.join(parent, 'out');
    mkdirSync(out);
    const all = [...NAMES, [LONG, ''] as [string, string]];
    const rx = await receiver(RX, ['-o', out, '--from', jidOf(EVIL), '--count', String(all.length), '--timeout', '60']);
    const to = rx.events.find((e) => e.event === 'listening').jid;
    for (const [i, [name]] of all.entries()) await sendIbb(pat, to, name, Buffer.from(`file #${i}`));
    const r = await rx.done;
    assert.equal(r.code, 0, r.stderr);
    const landed = readdirSync(out);
    assert.equal(landed.length, all.length);
    for (const [i, [name, want]] of NAMES.entries()) {
      assert.ok(landed.includes(want), `${JSON.stringify(name)} should land as ${want}; got ${landed.join(' | ')}`);
      assert.equal(readFileSync(path.join(out, want), 'utf8'), `file #${i}`);
    }
    const long = landed.find((n) => n.startsWith('nnn'));
    assert.ok(long && Buffer.byteLength(long) <= 200 && long.endsWith('.txt'), `long name: ${long}`);
    // nothing beside the output directory, nothing at the absolute or parent paths
    assert.deepEqual(readdirSync(parent), ['out']);
    assert.ok(!existsSync(path.resolve(out, '../../x')));
    // the raw names reach the JSON log as the same strings, but escaped
    assert.ok(!TERMINAL_ACTIVE.test(r.stdout), 'raw control or bidi character in --json output');
    const offered = r.events.filter((e) => e.event === 'offer-received').map((e) => e.name);
    assert.deepEqual(offered, all.map(([n]) => n.replace(/\t/g, ' ')));
  });

  it('human output shows control and bidi characters escaped', async () => {
    const out = tempDir();
    const rx = xfer(RX, ['receive', '-o', out, '--from', jidOf(EVIL), '--count', '2', '--timeout', '60'], { human: true });
    let to: string | undefined;
    for (let i = 0; i < 200 && !to; i++) {
      to = /waiting for files as (\S+)/.exec(rx.output())?.[1];
      if (!to) await sleep(50);
    }
    assert.ok(to, `receiver did not start: ${rx.output()}`);
    await sendIbb(pat, to, '\u009b2Jclear.txt', Buffer.from('one'));
    await sendIbb(pat, to, 'invoice\u202Efdp.exe', Buffer.from('two'));
    const r = await rx.done;
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout + r.stderr;
    assert.ok(!TERMINAL_ACTIVE.test(text), `raw control or bidi character in: ${JSON.stringify(text)}`);
    assert.match(text, /\\x9b2J/);
    assert.match(text, /\\u\{202e\}/);
    assert.deepEqual(readdirSync(out).sort(), ['2Jclear.txt', 'invoicefdp.exe']);
  });
});
