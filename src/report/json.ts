// --json: one JSON object per line on stdout, one per event, with a timestamp.
import type { XferEvent } from './events.js';

// JSON.stringify escapes only U+0000–U+001F. DEL, C1 controls, bidi overrides/isolates and
// zero-width characters from a peer's file name would reach the terminal of anyone who cats
// the log; as \uXXXX escapes they parse back to the same string but cannot act on the display.
// The same set as safe-name.ts's; tag characters (U+E0000-E007F) as their surrogate pairs.
const RAW_UNSAFE = /[\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]|\udb40[\udc00-\udc7f]/g;

export function jsonLine(e: object): string {
  return JSON.stringify(e).replace(RAW_UNSAFE, (m) => [...Array(m.length).keys()].map((i) => `\\u${m.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''));
}

export function jsonReporter(out: NodeJS.WritableStream = process.stdout) {
  return (e: XferEvent) => {
    out.write(`${jsonLine({ ...e, time: new Date().toISOString() })}\n`);
  };
}
