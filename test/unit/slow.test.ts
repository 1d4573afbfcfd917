import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SLOW_AFTER_MS, slowNotice } from '../../src/transfer/slow.js';

it('slowNotice: only for IBB, only after a few seconds, only when the rest takes over a minute', () => {
  assert.equal(slowNotice('ibb', SLOW_AFTER_MS - 1, 1000, 1 << 30), undefined); // too early to judge
  assert.equal(slowNotice('s5b', 10_000, 75_000, 1 << 30), undefined); // no advice to give
  assert.equal(slowNotice('ibb', 10_000, 10 << 20, 10 << 20), undefined); // 10 s more: fine
  assert.deepEqual({ ...slowNotice('ibb', 10_000, 75_000, 7_500_000), advice: '' }, { rate: 7500, eta: 1000, advice: '' });
  assert.equal(slowNotice('ibb', 10_000, 0, 100)?.eta, -1); // nothing moved: no estimate
  assert.equal(slowNotice('ibb', 10_000, 75_000, 0), undefined); // done
});
