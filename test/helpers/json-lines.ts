// A child's `--json` stdout (or slix_peer.py's), one event per line, parsed as lines complete.
import type { Readable } from 'node:stream';

export function jsonLines(stream: Readable, onEvent: (e: any) => void, onText?: (chunk: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8').on('data', (d: string) => {
    onText?.(d);
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0; ) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) onEvent(JSON.parse(line));
    }
  });
}
