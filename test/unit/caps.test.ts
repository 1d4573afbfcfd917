import assert from 'node:assert/strict';
import { it } from 'node:test';
import { capsVer } from '../../src/protocol/disco.js';

it('XEP-0115 §5.2 simple example verification string', () => {
  const ver = capsVer({
    identities: [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
    features: ['http://jabber.org/protocol/caps', 'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc'],
  });
  assert.equal(ver, 'QgayPKawpkPSDYmwT/WM94uAlu0=');
});
