// Which hosts a receiver connects to when a peer names them (net/addresses.ts hostPolicy).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hostPolicy } from '../../src/net/addresses.js';

it('default: any host but unspecified, multicast and broadcast addresses', () => {
  const ok = hostPolicy({ localAddress: '192.0.2.1', remoteAddress: '198.51.100.7' }, false);
  for (const h of ['proxy.example.org', '127.0.0.1', '10.1.2.3', '203.0.113.5', '::1']) assert.equal(ok(h), true, h);
  for (const h of ['0.0.0.0', '::', '224.0.0.251', '255.255.255.255', 'ff02::1']) assert.equal(ok(h), false, h);
});

it('--strict-hosts: IP literals only, none closer than the server link', () => {
  const remote = hostPolicy({ localAddress: '192.0.2.1', remoteAddress: '198.51.100.7' }, true);
  assert.equal(remote('203.0.113.5'), true);
  for (const h of ['proxy.example.org', 'localhost', '127.0.0.1', '::1', '10.1.2.3', '192.168.1.20', '172.20.0.1', '169.254.1.1', 'fd00::1', '0.0.0.0']) assert.equal(remote(h), false, h);
  const lan = hostPolicy({ localAddress: '192.168.1.2', remoteAddress: '192.168.1.1' }, true);
  assert.equal(lan('192.168.1.20'), true);
  assert.equal(lan('203.0.113.5'), true);
  assert.equal(lan('127.0.0.1'), false);
  const local = hostPolicy({ localAddress: '127.0.0.1', remoteAddress: '127.0.0.1' }, true);
  assert.equal(local('127.0.0.1'), true);
  assert.equal(local('localhost'), false, 'names are never looked up on a peer\'s word');
});
