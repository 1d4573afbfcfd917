// --json: one JSON object per line on stdout, one per event, with a timestamp.
import type { XferEvent } from './events.js';

// JSON.stringify escapes only U+0000–U+001F. DEL, C1 controls, bidi overrides/isolates and
// zero-width characters from a peer's file name would reach the terminal of anyone who cats
// the log; as \uXXXX escapes they parse back to the same string but cannot act on the display.
const RAW_UNSAFE = /[\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function jsonLine(e: object): string {
  return JSON.stringify(e).replace(RAW_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function jsonReporter(out: NodeJS.WritableStream = process.stdout) {
  return (e: XferEvent) => {
    out.write(`${jsonLine({ ...e, time: new Date().toISOString() })}\n`);
  };
}
