// Load (issue #6, item 9): one long-running receiver, 20 concurrent senders of 5 MiB each over
// mixed methods. All 20 must arrive intact, and the receiver must hold no more descriptors after
// than before (no leaked sockets, files or listeners) and no more live heap after a full GC
// (RSS alone also counts garbage not yet collected: it grows for rounds before it levels off).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { ROOT, jidOf } from '../helpers/fixture.js';

const TX = 'lou';
const RX = 'max';
const SENDERS = 20;
const METHODS = ['s5b', 'oob', 'ibb'];

/** How long a round's last sockets get to close before memory is measured (see the test). */
const SETTLE_MS = 3500;

/** Live heap after a full GC, via test/helpers/gc-report.cjs preloaded into the receiver. */
async function liveHeap(pid: number, report: string): Promise<{ heapMiB: number; externalMiB: number }> {
  const before = existsSync(report) ? readFileSync(report, 'utf8').split('\n').filter(Boolean).length : 0;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    const lines = existsSync(report) ? readFileSync(report, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length > before) return JSON.parse(lines.at(-1)!);
    await sleep(50);
  }
  throw new Error('the receiver did not report its heap');
}

function usage(pid: number) {
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  return { fds, rssMiB: +(rss / 1048576).toFixed(1) };
}

async function round(files: string[], out: string, rx: { events: any[] }, already: number) {
  const t0 = Date.now();
  const runs = await Promise.all(files.map((f, i) => xfer(TX, ['send', f, jidOf(RX), '--methods', METHODS[i % METHODS.length]!]).done));
  const seconds = (Date.now() - t0) / 1000;
  for (const r of runs) assert.equal(r.code, 0, r.stderr + JSON.stringify(r.events.filter((e) => e.event === 'error')));
  const done = rx.events.filter((e) => e.event === 'done').slice(already);
  assert.equal(done.length, SENDERS);
  assert.deepEqual(new Set(done.map((e) => e.method)), new Set(METHODS));
  // Byte-identical: every source file's sha-256 turns up exactly once among what arrived.
  const want = (await Promise.all(files.map(sha256File))).sort();
  const got = (await Promise.all(done.map((e) => sha256File(e.path)))).sort();
  assert.deepEqual(got, want);
  return seconds;
}

it(`${SENDERS} concurrent senders into one receiver, twice: all intact, no descriptor or memory growth`, async (t) => {
  const src = tempDir();
  const out = tempDir();
  const files = Array.from({ length: SENDERS }, (_, i) => randomFile(src, `load-${String(i).padStart(2, '0')}.bin`, 5 << 20));
  const report = path.join(tempDir(), 'heap.jsonl');
  const rx = await receiver(RX, ['-o', out, '--from', jidOf(TX), '--count', '0', '--timeout', '300'], undefined, {
    env: { NODE_OPTIONS: `--expose-gc --require ${path.join(ROOT, 'test/helpers/gc-report.cjs')}`, XFER_TEST_GC_REPORT: report },
  });
  // An assertion that fails must not leave the receiver waiting out its --timeout.
  let stopped = false;
  try {
    await sleep(500);
    const idle = usage(rx.child.pid!);
    const heap0 = await liveHeap(rx.child.pid!, report);
    // Round 1 warms up (heap, thread pool); round 2 must not grow beyond it.
    const s1 = await round(files, out, rx, 0);
    // Let the last sockets close and the socks library drop its clients: it keeps each one (and
    // its socket) referenced until the handshake timer fires, up to the 3 s candidate timeout.
    await sleep(SETTLE_MS);
    const after1 = usage(rx.child.pid!);
    const heap1 = await liveHeap(rx.child.pid!, report);
    const s2 = await round(files, out, rx, SENDERS);
    await sleep(SETTLE_MS);
    const after2 = usage(rx.child.pid!);
    const heap2 = await liveHeap(rx.child.pid!, report);
    assert.equal(readdirSync(out).length, 2 * SENDERS, 'no temporary files left');

    t.diagnostic(`load: ${SENDERS} x 5 MiB in ${s1.toFixed(1)} s, again in ${s2.toFixed(1)} s`);
    t.diagnostic(`receiver fds: idle ${idle.fds}, after round 1 ${after1.fds}, after round 2 ${after2.fds}`);
    t.diagnostic(`receiver RSS: idle ${idle.rssMiB} MiB, after round 1 ${after1.rssMiB} MiB, after round 2 ${after2.rssMiB} MiB`);
    assert.ok(after1.fds <= idle.fds && after2.fds <= idle.fds, `descriptors leaked: ${idle.fds} -> ${after1.fds} -> ${after2.fds}`);
    const mib = (h: { heapMiB: number; externalMiB: number }) => `${h.heapMiB.toFixed(1)} + ${h.externalMiB.toFixed(1)} external`;
    t.diagnostic(`receiver live heap after a full GC (MiB): idle ${mib(heap0)}, after round 1 ${mib(heap1)}, after round 2 ${mib(heap2)}`);
    // Round 1 loads code paths for the first time; the 20 transfers of round 2 must leave nothing.
    assert.ok(heap2.heapMiB < heap1.heapMiB + 2, `live heap grew: ${mib(heap1)} -> ${mib(heap2)} MiB`);
    assert.ok(heap2.externalMiB < heap1.externalMiB + 2, `external memory grew: ${mib(heap1)} -> ${mib(heap2)} MiB`);

    rx.child.kill('SIGINT');
    stopped = true;
    assert.equal((await rx.done).code, 130);
  } finally {
    if (!stopped) rx.child.kill('SIGKILL');
  }
});
