// The login order from DNS SRV answers (RFC 2782, XEP-0368), hostile answers included.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { endpointsFrom, MAX_ENDPOINTS, orderSrv } from '../../src/xmpp/endpoints.js';

const rec = (name: string, port: number, priority: number, weight: number, directTls: boolean) => ({ name, port, priority, weight, directTls });

it('priority first, direct TLS first on a tie, weight decides within a priority', () => {
  const eps = endpointsFrom('x.org', [rec('tls.x.org', 5223, 10, 0, true)], [rec('a.x.org', 5222, 5, 0, false), rec('b.x.org', 5222, 10, 0, false)]);
  assert.deepEqual(eps.map((e) => `${e.host}:${e.port}:${e.directTls}`), ['a.x.org:5222:false', 'tls.x.org:5223:true', 'b.x.org:5222:false']);
  const heavy = orderSrv([rec('light', 1, 1, 1, false), rec('heavy', 1, 1, 99, false)], () => 0.5);
  assert.equal(heavy[0]!.name, 'heavy');
});

it('no records: the domain on 5222; a "." record: no service', () => {
  assert.deepEqual(endpointsFrom('x.org', [], []), [{ host: 'x.org', port: 5222, directTls: false, via: 'fallback' }]);
  assert.throws(() => endpointsFrom('x.org', [], [rec('.', 0, 0, 0, false)]), /no XMPP client service/);
});

it('hostile answers: port 0, odd targets and hundreds of records cannot stall or steer a login', () => {
  const junk = [rec('ok.x.org', 0, 1, 0, false), rec('bad target/..', 5222, 1, 0, false), rec('<script>', 5222, 1, 0, false)];
  assert.throws(() => endpointsFrom('x.org', [], junk), /no usable record/);
  const many = Array.from({ length: 500 }, (_, i) => rec(`h${i}.x.org`, 5222, i, 0, false));
  assert.equal(endpointsFrom('x.org', [], many).length, MAX_ENDPOINTS);
});
