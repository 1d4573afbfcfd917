// Flags in, exit code out: signals, the last-resort handler and the program; each command's
// wiring is in src/cli/. Commands do the work and emit events; reporters render them.
import { rmSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT, errors, toXferError } from './errors.js';
import { openTemporaryFiles } from './files/sink.js';
import type { Emit } from './report/events.js';
import { humanReporter } from './report/human.js';
import { jsonReporter } from './report/json.js';
import { reporterFor, type CliContext } from './cli/args.js';
import { registerProbe } from './cli/probe.js';
import { registerReceive } from './cli/receive.js';
import { registerSend } from './cli/send.js';

export async function main(argv: string[]): Promise<void> {
  const ac = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    ac.abort(errors.cancelled('interrupted'));
  });
  // SIGTERM cleans up exactly like Ctrl-C, and exits 128 + 15 as a terminated process should.
  let terminated = false;
  process.on('SIGTERM', () => {
    terminated = true;
    ac.abort(errors.cancelled('terminated'));
  });
  const exitFor = (code: number) => (terminated && code === EXIT.interrupted ? EXIT.terminated : code);

  let emit: Emit = humanReporter();
  // Last resort: a bug here or in a dependency (e.g. an HTTP client asserting on a malformed response from
  // a hostile HTTP server) must not leave temporary files behind or die without a clear error.
  const fatal = (err: unknown) => {
    for (const f of openTemporaryFiles) rmSync(f, { force: true });
    emit({ event: 'error', code: 'EINTERNAL', message: `internal error: ${(err as Error)?.message ?? err}`, exit: EXIT.internal });
    process.exit(EXIT.internal);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const run = async (fn: () => Promise<number>) => {
    try {
      process.exitCode = exitFor(await fn());
    } catch (e) {
      const err = toXferError(e);
      emit({ event: 'error', code: err.code, message: err.message, exit: exitFor(err.exitCode) });
      process.exitCode = exitFor(err.exitCode);
    }
  };

  const program = new Command('xfer')
    .description('Move files between XMPP accounts (Jingle and SI file transfer: SOCKS5, IBB, out-of-band HTTP, HTTP upload)')
    .version('0.1.0')
    .exitOverride()
    // Command-line mistakes are events too: with --json a script gets them as JSON on stdout.
    .configureOutput({
      writeErr: (s) =>
        argv.includes('--json')
          ? jsonReporter()({ event: 'error', code: 'EUSAGE', message: s.trim().replace(/^error: /, ''), exit: EXIT.usage })
          : process.stderr.write(s),
    });

  const cli: CliContext = { run, reporter: (flags) => (emit = reporterFor(flags)), signal: ac.signal };
  registerSend(program, cli);
  registerReceive(program, cli);
  registerProbe(program, cli);

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    throw e;
  }
  // Sockets, timers and SIGINT handlers must not keep a finished command alive.
  setTimeout(() => process.exit(), 50).unref();
}
