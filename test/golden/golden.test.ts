// Golden stanzas: every test/golden/stanzas/NAME.xml is parsed by the parser its NAME.json names
// and must give exactly `expected`; where xfer also builds that stanza, build(parse(xml)) must
// parse back to the same value.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import parse from '@xmpp/xml/lib/parse.js';
import { parseInfo, buildInfoResult } from '../../src/protocol/disco.js';
import { buildAnswer, buildOffer, parseAnswer, parseOffer } from '../../src/protocol/si.js';
import { buildData, buildOpen, parseData, parseOpen } from '../../src/protocol/ibb.js';
import { parseError } from '../../src/protocol/stanza-error.js';
import { parsers as extraParsers } from './kinds.js';
import { ROOT } from '../helpers/paths.js';

type Kind = { parse: (el: any) => unknown; build?: (v: any) => any };
const kinds: Record<string, Kind> = {
  'si-offer': { parse: parseOffer, build: (v) => (v.ok ? buildOffer(v.offer) : undefined) },
  'si-answer': { parse: parseAnswer, build: (v) => buildAnswer(v) },
  'ibb-open': { parse: (el) => parseOpen(el) ?? null, build: (v) => v && buildOpen(v.sid, v.blockSize) },
  'ibb-data': { parse: (el) => parseData(el) ?? null, build: (v) => v && buildData(v.sid, v.seq, Buffer.from(v.payload, 'base64')) },
  'disco-info': { parse: parseInfo, build: (v) => buildInfoResult(v) },
  'stanza-error': { parse: (el) => parseError(el) },
  ...extraParsers,
};

const dir = path.join(ROOT, 'test/golden/stanzas');
const strip = (v: unknown) => JSON.parse(JSON.stringify(v)); // drop undefined fields

describe('golden stanzas', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.xml')).sort()) {
    const spec = JSON.parse(readFileSync(path.join(dir, file.replace(/\.xml$/, '.json')), 'utf8'));
    const kind = kinds[spec.kind];
    it(`${file} (${spec.kind})`, () => {
      assert.ok(kind, `unknown kind ${spec.kind}`);
      const el = parse(readFileSync(path.join(dir, file), 'utf8'));
      const got = strip(kind.parse(el));
      assert.deepEqual(got, spec.expected);
      const built = kind.build?.(spec.expected);
      if (built) assert.deepEqual(strip(kind.parse(parse(built.toString()))), spec.expected, 'build/parse round trip');
    });
  }
});
