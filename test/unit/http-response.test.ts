// The strict HTTP/1.1 response reader (src/http/response.ts): what it accepts, byte by byte as well
// as in one piece, and every malformed or ambiguous response it must refuse.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpParseError, LIMITS, ResponseReader } from '../../src/http/response.js';

function parse(raw: string | Buffer, opts: { split?: number; close?: boolean; stopAtHead?: boolean } = {}) {
  const body: Buffer[] = [];
  let status = 0;
  let headers = new Map<string, string>();
  let ended = 0;
  const r = new ResponseReader({
    onHead: (h) => {
      status = h.status;
      headers = h.headers;
      return !opts.stopAtHead;
    },
    onBody: (v) => body.push(Buffer.from(v)), // a copy: the view is only lent
    onEnd: () => ended++,
  });
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1');
  const step = opts.split ?? buf.length;
  for (let i = 0; i < buf.length; i += step) r.push(buf.subarray(i, i + step));
  if (opts.close) r.end();
  return { status, headers, body: Buffer.concat(body).toString('latin1'), ended, done: r.done };
}

const ok = (head: string, body = '') => `HTTP/1.1 200 OK\r\n${head}\r\n${body}`;

describe('HTTP response reader: accepted', () => {
  for (const split of [undefined, 1, 3]) {
    const how = split ? ` (fed ${split} byte(s) at a time)` : '';
    it(`Content-Length${how}`, () => {
      const r = parse(ok('Content-Length: 10\r\nX-A: b\r\n', '0123456789'), { split });
      assert.deepEqual([r.status, r.body, r.ended, r.headers.get('x-a')], [200, '0123456789', 1, 'b']);
    });
    it(`chunked, with an extension${how}`, () => {
      const r = parse(ok('Transfer-Encoding: chunked\r\n', '4;x=y\r\n0123\r\na\r\n456789abcd\r\n0\r\n\r\n'), { split });
      assert.deepEqual([r.body, r.ended], ['0123456789abcd', 1]);
    });
    it(`a body that runs to the close${how}`, () => {
      const r = parse(ok('Server: old\r\n', 'abc'), { split, close: true });
      assert.deepEqual([r.body, r.ended], ['abc', 1]);
    });
  }
  it('skips an interim 100 Continue', () => {
    const r = parse('HTTP/1.1 100 Continue\r\n\r\n' + ok('Content-Length: 2\r\n', 'hi'));
    assert.deepEqual([r.status, r.body], [200, 'hi']);
  });
  it('HTTP/1.0, no reason phrase, Content-Length 0, a repeated equal Content-Length', () => {
    assert.equal(parse('HTTP/1.0 200\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n').ended, 1);
  });
  it('a HEAD-style stop at the head leaves the body alone', () => {
    const r = parse(ok('Content-Length: 1000\r\n'), { stopAtHead: true });
    assert.deepEqual([r.status, r.body, r.done], [200, '', true]);
  });
  it('body bytes are handed over as views of what was pushed: binary survives', () => {
    const bin = Buffer.from([0, 13, 10, 255, 128]);
    const r = parse(Buffer.concat([Buffer.from(ok('Content-Length: 5\r\n')), bin]));
    assert.deepEqual(Buffer.from(r.body, 'latin1'), bin);
  });
});

describe('HTTP response reader: refused', () => {
  const bad: Array<[string, string, boolean?]> = [
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['HTTP/2 status line', 'HTTP/2 200\r\n\r\n'],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a bare LF', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'],
    ['a folded header', ok('X-A: b\r\n  c\r\n')],
    ['a header without a colon', ok('Garbage\r\n')],
    ['a space before the colon', ok('Content-Length : 1\r\n', 'x')],
    ['NUL in a value', ok('X-A: a\0b\r\n')],
    ['Content-Length and Transfer-Encoding', ok('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n')],
    ['conflicting Content-Length', ok('Content-Length: 3\r\nContent-Length: 4\r\n', 'abcd')],
    ['a negative Content-Length', ok('Content-Length: -1\r\n')],
    ['a Content-Length list', ok('Content-Length: 3, 3\r\n', 'abc')],
    ['gzip transfer coding', ok('Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n')],
    ['a chunk size that is not hex', ok('Transfer-Encoding: chunked\r\n', 'zz\r\n')],
    ['a chunk size of 16 hex digits', ok('Transfer-Encoding: chunked\r\n', '1000000000000000\r\n')],
    ['chunk data longer than its size', ok('Transfer-Encoding: chunked\r\n', '2\r\nabc\r\n0\r\n\r\n')],
    ['trailers', ok('Transfer-Encoding: chunked\r\n', '1\r\na\r\n0\r\nX-T: 1\r\n\r\n')],
    ['bytes after the end', ok('Content-Length: 1\r\n', 'ab')],
    ['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
    ['a truncated Content-Length body', ok('Content-Length: 10\r\n', 'abc'), true],
    ['a truncated chunked body', ok('Transfer-Encoding: chunked\r\n', '5\r\nab'), true],
    ['a close before the head ended', 'HTTP/1.1 200 OK\r\nX-A', true],
  ];
  for (const [label, raw, close] of bad) {
    it(label, () => assert.throws(() => parse(raw, { close }), HttpParseError));
  }
  it(`limits: a status line over ${LIMITS.statusLine} bytes, headers over ${LIMITS.headerBytes} bytes or ${LIMITS.headerCount} lines`, () => {
    assert.throws(() => parse(`HTTP/1.1 200 ${'x'.repeat(LIMITS.statusLine)}`, { split: 1000 }), /too long/);
    assert.throws(() => parse(ok(`X-Big: ${'x'.repeat(LIMITS.headerBytes)}\r\n`), { split: 1000 }), /too large/);
    assert.throws(() => parse(ok(Array.from({ length: LIMITS.headerCount + 1 }, (_, i) => `X-${i}: v\r\n`).join(''))), /too many/);
    // never a line buffered past the limit, however it is fed
    assert.throws(() => parse(`HTTP/1.1 200 OK\r\nX: ${'y'.repeat(LIMITS.headerBytes * 4)}`, { split: 1 }), /too large/);
  });
});
