// Debug lines per section (xfer:jingle, xfer:s5b, …): shown with NODE_DEBUG=xfer:jingle as with
// node's debuglog, or all of them with `--verbose` (NODE_DEBUG is read only at process start).
import { debuglog, format } from 'node:util';

let verbose = false;
export const setVerbose = (on: boolean) => void (verbose = on);

export function debug(section: string): (fmt: string, ...args: unknown[]) => void {
  const node = debuglog(section);
  return (fmt, ...args) => {
    if (verbose) process.stderr.write(`${section}: ${format(fmt, ...args)}\n`);
    else node(fmt, ...args);
  };
}
