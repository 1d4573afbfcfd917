// --json: one JSON object per line on stdout, one per event, with a timestamp.
import type { XferEvent } from './events.js';

export function jsonReporter(out: NodeJS.WritableStream = process.stdout) {
  return (e: XferEvent) => {
    out.write(`${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`);
  };
}
