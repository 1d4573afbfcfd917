// Turning a name chosen by a stranger into one file name inside the output directory, and
// printing names so that they cannot act on the terminal.

// CSI and OSC sequences go whole, so that "\x1b[31mred" becomes "red" rather than "[31mred".
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]/g;
// C0, DEL, C1 controls; bidi embeddings/overrides/isolates and marks; zero-width, word joiner and
// invisible operators, BOM; soft hyphen, combining grapheme joiner, Mongolian vowel separator,
// Hangul fillers; line/paragraph separators; tag characters (U+E0000-E007F).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\u{e0000}-\u{e007f}]/gu;
// Windows also reserves COM¹-COM³ and LPT¹-LPT³ (superscript digits).
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(\..*)?$/i;
const MAX_BYTES = 200; // leaves room under NAME_MAX (255) for " (NN)" and our temp prefix

export function safeFileName(raw: string): string {
  return cleanComponent(raw.replace(ANSI, '').replace(UNSAFE, '').split(/[/\\]/).pop() ?? '') || 'file';
}

const MAX_DEPTH = 16;

/**
 * A relative path from a peer (a file sent from a folder) as components that stay inside the
 * output directory: each one cleaned like a file name, empty, '.' and '..' dropped, at most 16
 * deep. The last component is the file name. Undefined when nothing usable is left.
 */
export function safeRelativePath(raw: string): string[] | undefined {
  const parts = raw.replace(ANSI, '').replace(UNSAFE, '').split(/[/\\]/).map(cleanComponent).filter(Boolean);
  if (parts.length === 0) return undefined;
  return parts.slice(-MAX_DEPTH);
}

function cleanComponent(component: string): string {
  let name = component;
  // Leading dots (hidden files, "..") and trailing dots/spaces (Windows strips them) go.
  name = name.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  name = name.replace(/[<>:"|?*]/g, '_');
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  return truncateUtf8(name, MAX_BYTES);
}

// One cut in bytes, then back to the last whole character: linear in the name's length (a
// 200,000-character name once took seconds, cut one character at a time).
function truncateUtf8(name: string, max: number): string {
  if (Buffer.byteLength(name) <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const room = max - Buffer.byteLength(ext);
  let stem = Buffer.from(name.slice(0, name.length - ext.length).slice(0, room)).subarray(0, room).toString('utf8');
  stem = stem.replace(/\uFFFD+$/, ''); // a character cut in half
  return stem + ext;
}

/** "name (1).ext", "name (2).ext", … */
export function numbered(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

/** A string safe to print: controls and bidi characters shown as \xNN / \u{NNNN}. */
export function printable(s: string): string {
  return s.replace(new RegExp(UNSAFE.source, 'gu'), (c) => {
    const cp = c.codePointAt(0)!;
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}
