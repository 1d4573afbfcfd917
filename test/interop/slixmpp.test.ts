// Interop matrix against a third-party peer: slixmpp (Debian python3-slixmpp) driven by
// test/interop/slix_peer.py, both directions, every method. Each cell asserts the exit codes and
// the sha-256 of what arrived; cells slixmpp cannot do say why. The matrix is printed as a table
// and written as JSON and JUnit XML under .run/interop/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { PROSODY, ROOT, ejabberd, jidOf, passwordOf, type Server } from '../helpers/fixture.js';
import { jsonLines } from '../helpers/json-lines.js';

const XFER = 'sam';
const SLIX = 'sue';
type Method = 'ibb' | 's5b-proxy' | 's5b-direct' | 'oob';
type Cell = { direction: string; method: Method; status: 'pass' | 'fail' | 'unsupported'; seconds: number; reason?: string };

function slix(fx: Server, args: string[]): { done: Promise<{ code: number | null; events: any[]; stderr: string }>; ready: Promise<any> } {
  const child = spawn('/usr/bin/python3', [path.join(ROOT, 'test/interop/slix_peer.py'), ...args, '--server', fx.server, '--ca', fx.caFile, '--password', passwordOf(SLIX)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: any[] = [];
  let stderr = '';
  let readyResolve!: (e: any) => void;
  const ready = new Promise((r) => (readyResolve = r));
  jsonLines(child.stdout, (e) => {
    events.push(e);
    if (e.event === 'ready') readyResolve(e);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; events: any[]; stderr: string }>((r) => child.on('close', (code) => r({ code, events, stderr })));
  done.then(() => readyResolve(undefined));
  return { done, ready };
}

const xferArgs: Record<Method, string[]> = {
  ibb: ['--methods', 'ibb'],
  's5b-proxy': ['--methods', 's5b', '--no-direct'],
  's5b-direct': ['--methods', 's5b', '--no-proxy'],
  oob: ['--methods', 'oob'],
};
const slixMethod: Record<Method, string> = { ibb: 'ibb', 's5b-proxy': 's5b', 's5b-direct': 's5b', oob: 'oob' };

const unsupported: Record<string, string> = {
  'xfer->slixmpp oob': "slixmpp's SI (xep_0095) registers only SOCKS5 and IBB as stream methods, not jabber:iq:oob",
  'slixmpp->xfer s5b-direct': 'slixmpp has no SOCKS5 server: as initiator it can offer only proxies',
};

function matrix(fx: Server) {
describe(`interop with slixmpp on ${fx.name}`, () => {
  const results: Cell[] = [];
  const src = tempDir();
  const file = randomFile(src, 'interop.bin', 300 * 1024 + 7);

  for (const method of ['ibb', 's5b-proxy', 's5b-direct', 'oob'] as Method[]) {
    const label = `xfer->slixmpp ${method}`;
    it(label, async (t) => {
      if (unsupported[label]) {
        results.push({ direction: 'xfer->slixmpp', method, status: 'unsupported', seconds: 0, reason: unsupported[label] });
        return t.skip(`unsupported by peer: ${unsupported[label]}`);
      }
      const t0 = Date.now();
      const out = tempDir();
      const peer = slix(fx, ['receive', '--jid', `${jidOf(SLIX, fx)}/slix`, '--method', slixMethod[method], '--out', out, '--timeout', '30']);
      try {
        assert.ok(await peer.ready, 'slixmpp peer came online');
        const tx = await xfer(XFER, ['send', file, `${jidOf(SLIX, fx)}/slix`, ...xferArgs[method]], { fx }).done;
        const rx = await peer.done;
        assert.equal(tx.code, 0, tx.stderr);
        assert.equal(rx.code, 0, rx.stderr);
        assert.equal(await sha256File(path.join(out, 'interop.bin')), await sha256File(file));
        results.push({ direction: 'xfer->slixmpp', method, status: 'pass', seconds: (Date.now() - t0) / 1000 });
      } catch (err) {
        results.push({ direction: 'xfer->slixmpp', method, status: 'fail', seconds: (Date.now() - t0) / 1000, reason: String(err) });
        throw err;
      }
    });
  }

  for (const method of ['ibb', 's5b-proxy', 's5b-direct', 'oob'] as Method[]) {
    const label = `slixmpp->xfer ${method}`;
    it(label, async (t) => {
      if (unsupported[label]) {
        results.push({ direction: 'slixmpp->xfer', method, status: 'unsupported', seconds: 0, reason: unsupported[label] });
        return t.skip(`unsupported by peer: ${unsupported[label]}`);
      }
      const t0 = Date.now();
      const out = tempDir();
      try {
        const rx = await receiver(XFER, ['-o', out, '--from', jidOf(SLIX, fx), '--once', '--timeout', '40'], fx);
        const peer = slix(fx, ['send', '--jid', `${jidOf(SLIX, fx)}/slix`, '--method', slixMethod[method], '--to', jidOf(XFER, fx), '--file', file, '--timeout', '30']);
        const tx = await peer.done;
        const r = await rx.done;
        assert.equal(tx.code, 0, `slixmpp: ${JSON.stringify(tx.events)} ${tx.stderr.slice(-500)}\nxfer: ${JSON.stringify(r.events)} ${r.stderr}`);
        assert.equal(r.code, 0, r.stderr);
        const done = r.events.find((e) => e.event === 'done');
        // slixmpp sends only md5 (XEP-0096); its OOB push carries no hash at all.
        assert.equal(done.verified, method === 'oob' ? 'none' : 'md5');
        assert.equal(await sha256File(path.join(out, 'interop.bin')), await sha256File(file));
        results.push({ direction: 'slixmpp->xfer', method, status: 'pass', seconds: (Date.now() - t0) / 1000 });
      } catch (err) {
        results.push({ direction: 'slixmpp->xfer', method, status: 'fail', seconds: (Date.now() - t0) / 1000, reason: String(err) });
        throw err;
      }
    });
  }

  after(() => writeReports(fx.name, results));
});
}

matrix(PROSODY);
if (process.env.XFER_INTEROP_EJABBERD !== '0') matrix(ejabberd());

export function writeReports(server: string, cells: Cell[]) {
  const dir = path.join(ROOT, '.run/interop');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `slixmpp-${server}.json`), JSON.stringify({ server, peer: 'slixmpp', cells }, null, 2));
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="interop-slixmpp-${server}" tests="${cells.length}" failures="${cells.filter((c) => c.status === 'fail').length}" skipped="${cells.filter((c) => c.status === 'unsupported').length}">`,
    ...cells.map(
      (c) =>
        `  <testcase classname="${c.direction}" name="${c.method}" time="${c.seconds}">` +
        (c.status === 'fail' ? `<failure message="${esc(c.reason ?? '')}"/>` : c.status === 'unsupported' ? `<skipped message="${esc(c.reason ?? '')}"/>` : '') +
        '</testcase>',
    ),
    '</testsuite>',
  ].join('\n');
  writeFileSync(path.join(dir, `slixmpp-${server}.xml`), xml + '\n');
  const rows = cells.map((c) => `# | ${c.direction.padEnd(14)} | ${c.method.padEnd(10)} | ${c.status.padEnd(11)} | ${c.seconds.toFixed(1).padStart(5)} s | ${c.reason && c.status !== 'pass' ? c.reason.slice(0, 90) : ''}`);
  console.log([`# interop matrix (${server}, slixmpp)`, '# | direction      | method     | result      | time    | note', ...rows].join('\n'));
}
