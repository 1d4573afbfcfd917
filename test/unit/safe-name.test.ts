import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printable, safeFileName, safeRelativePath } from '../../src/files/safe-name.js';

describe('safeFileName', () => {
  const cases: Array<[string, string]> = [
    ['../../evil', 'evil'],
    ['/etc/passwd', 'passwd'],
    ['a/b', 'b'],
    ['..\\..\\win.ini', 'win.ini'],
    ['..', 'file'],
    ['.', 'file'],
    ['', 'file'],
    ['.bashrc', 'bashrc'],
    ['nul\u0000byte', 'nulbyte'],
    ['red\u001b[31mtext\u001b[0m.txt', 'redtext.txt'],
    ['title\u001b]0;pwned\u0007.txt', 'title.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['CON', '_CON'],
    ['aux.txt', '_aux.txt'],
    ['ok name.txt', 'ok name.txt'],
    ['Grüße.txt', 'Grüße.txt'],
    ['tab\there', 'tabhere'],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => assert.equal(safeFileName(input), want));
  }
  it('caps long names at 200 bytes and keeps the extension', () => {
    const n = safeFileName('é'.repeat(300) + '.txt');
    assert.ok(Buffer.byteLength(n) <= 200);
    assert.ok(n.endsWith('.txt'));
  });
});

describe('printable', () => {
  it('escapes controls and bidi characters', () => {
    assert.equal(printable('a\u001b[2Jb\u202Ec'), 'a\\x1b[2Jb\\u{202e}c');
  });
});

describe('safeRelativePath (files sent from a folder)', () => {
  it('keeps folders, drops traversal and empty parts, cleans each part', () => {
    assert.deepEqual(safeRelativePath('album/sub/a.jpg'), ['album', 'sub', 'a.jpg']);
    assert.deepEqual(safeRelativePath('../../etc/passwd'), ['etc', 'passwd']);
    assert.deepEqual(safeRelativePath('/abs//x/./y'), ['abs', 'x', 'y']);
    assert.deepEqual(safeRelativePath('a\\b\\..\\c'), ['a', 'b', 'c']);
    assert.deepEqual(safeRelativePath('con/aux.txt'), ['_con', '_aux.txt']);
    assert.deepEqual(safeRelativePath('x/\u202egnp.exe'), ['x', 'gnp.exe']);
    assert.equal(safeRelativePath('../..'), undefined);
    assert.equal(safeRelativePath('a/'.repeat(40) + 'f')!.length, 16);
  });

  it('a 200,000-character name is cut in linear time, on a character boundary', () => {
    const t0 = performance.now();
    const name = safeFileName('é'.repeat(200_000) + '.txt');
    assert.ok(performance.now() - t0 < 500, `${performance.now() - t0} ms`);
    assert.ok(Buffer.byteLength(name) <= 200);
    assert.ok(name.endsWith('é.txt'), name.slice(-8));
    assert.ok(!name.includes('\ufffd'));
  });
});

describe('names: the rest of the invisible and reserved ones', () => {
  it('Windows reserved names with superscript digits are neutralised', () => {
    for (const n of ['COM\u00b9', 'lpt\u00b2.txt', 'Com\u00b3.log']) assert.equal(safeFileName(n), `_${n}`);
  });
  it('invisible and format characters are removed', () => {
    for (const c of ['\u2060', '\u00ad', '\u180e', '\u034f', '\u3164', '\u{e0041}', '\u2064']) assert.equal(safeFileName(`a${c}b.txt`), 'ab.txt', JSON.stringify(c));
  });
  it('printable() escapes line and paragraph separators and tag characters', () => {
    assert.equal(printable('a\u2028b'), 'a\\u{2028}b');
    assert.equal(printable('x\u{e0041}'), 'x\\u{e0041}');
  });
});
