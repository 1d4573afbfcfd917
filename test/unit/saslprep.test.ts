// SASLprep (RFC 4013 §3 examples) as used for SCRAM and PLAIN.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { saslprep } from '../../src/xmpp/scram.js';

it('SASLprep: RFC 4013 §3 examples', () => {
  assert.equal(saslprep('I\u00adX'), 'IX'); // soft hyphen mapped to nothing
  assert.equal(saslprep('user'), 'user');
  assert.equal(saslprep('USER'), 'USER'); // case preserved
  assert.equal(saslprep('\u00aa'), 'a'); // NFKC
  assert.equal(saslprep('\u2168'), 'IX'); // NFKC
  assert.equal(saslprep('a\u00a0b'), 'a b'); // non-ASCII space
  assert.throws(() => saslprep('\u0007'), /control character/); // prohibited
});
