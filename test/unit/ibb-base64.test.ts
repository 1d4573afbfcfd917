import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeStrictInto, nextSeq } from '../../src/protocol/ibb.js';

// Into a reused buffer that still holds the previous block's bytes: the view must be exactly the new block.
const into = Buffer.alloc(6, 0x55);
const decodeStrict = (s: string) => {
  const r = decodeStrictInto(s, into);
  return typeof r === 'string' ? undefined : Buffer.from(r);
};

describe('IBB strict base64 (RFC 4648 §4)', () => {
  it('accepts canonical base64 with and without padding', () => {
    assert.deepEqual(decodeStrict('aGVsbG8='), Buffer.from('hello'));
    assert.deepEqual(decodeStrict('aGVsbG8h'), Buffer.from('hello!'));
    assert.deepEqual(decodeStrict(''), Buffer.alloc(0));
  });
  it('agrees with encoding for every length and padding (random blocks of 0-300 bytes)', () => {
    const big = Buffer.alloc(300);
    for (let n = 0; n <= 300; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 73 + n * 31) & 255));
      const r = decodeStrictInto(bytes.toString('base64'), big);
      assert.ok(Buffer.isBuffer(r) && r.equals(bytes), `length ${n}`);
    }
  });
  it('tolerates XML line wrapping as in XEP-0047 example 5', () => {
    assert.deepEqual(decodeStrict('aGVs\n  bG8h'), Buffer.from('hello!'));
  });
  for (const bad of ['aGVsbG8', 'aGV=bG8h', 'aGVsbG8*', 'a===', '====', 'aGVsbG8h=', 'aGVsbG9=', 'aGVsbB==', '=aGV', 'aG=s', 'aGVs\0bG8h']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(decodeStrict(bad), undefined));
  }
  it('a block larger than the buffer (the negotiated block size) is too big, not written', () => {
    const small = Buffer.alloc(5, 0x55);
    assert.equal(decodeStrictInto('aGVsbG8h', small), 'too-big');
    assert.deepEqual(small, Buffer.alloc(5, 0x55));
    assert.deepEqual(Buffer.from(decodeStrictInto('aGVsbG8=', small) as Buffer), Buffer.from('hello'));
  });
});

describe('IBB seq', () => {
  it('wraps at 65535', () => {
    assert.equal(nextSeq(0), 1);
    assert.equal(nextSeq(65534), 65535);
    assert.equal(nextSeq(65535), 0);
  });
});
