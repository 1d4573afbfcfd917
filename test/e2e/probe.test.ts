// `xfer probe` against a cooperating `xfer receive`: features, a per-method transfer table,
// JSON and JUnit output.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { jidOf } from '../helpers/fixture.js';

it('probe --transfer: every method passes, reported as JSON and JUnit', async () => {
  const out = tempDir();
  const rx = await receiver('dave', ['-o', out, '--from', jidOf('eve'), '--count', '5', '--timeout', '60']);
  const junit = path.join(tempDir(), 'probe.xml');
  const r = await xfer('eve', ['probe', jidOf('dave'), '--transfer', '--junit', junit, '--size', '10000']).done;
  assert.equal(r.code, 0, r.stderr);
  const p = r.events.find((e) => e.event === 'probe');
  assert.equal(p.features.si, true);
  assert.equal(p.features.s5b, true);
  assert.equal(p.features['jingle-ft-5'], true);
  assert.deepEqual(p.transfers.map((t: any) => [t.method, t.status]), [['s5b', 'pass'], ['oob', 'pass'], ['ibb', 'pass'], ['jingle-s5b', 'pass'], ['jingle-ibb', 'pass']]);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite [^>]*tests="5" failures="0"/);
  const rr = await rx.done;
  assert.equal(rr.code, 0, rr.stderr);
  const files = readdirSync(out);
  assert.equal(files.length, 5);
  // every copy that arrived has the sha-256 the sender computed from the generated payload
  const sent = r.events.filter((e) => e.event === 'done').map((e) => e.sha256);
  assert.equal(sent.length, 5);
  for (const f of files) assert.ok(sent.includes(await sha256File(path.join(out, f))), f);
});
