// `xfer probe` wiring: flags -> probe() -> table, --json line (escaped like every event), JUnit.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT } from '../errors.js';
import { printable } from '../files/safe-name.js';
import { jsonLine } from '../report/json.js';
import { availableMethods } from '../transports/index.js';
import { common, connection, DEFAULTS, intArg, methodsArg, transportOptions, type CliContext, type Flags } from './args.js';

export function registerProbe(program: Command, cli: CliContext): void {
  common(program.command('probe'))
    .description("list the file-transfer features a peer advertises; with --transfer, send a small payload by each method")
    .argument('<jid>', 'peer (bare or full JID)')
    .option('--transfer', 'also send a generated payload by each method (the peer must run xfer receive and allow you)')
    .option('--methods <list>', 'methods to try, in order', availableMethods().join(','))
    .option('--size <bytes>', 'payload size', DEFAULTS.probeSize)
    .option('--junit <file>', 'write the per-method results as JUnit XML')
    .option('--peer-timeout <seconds>', 'how long to look for an online resource of a bare JID', DEFAULTS.peerTimeout)
    .addHelpText(
      'after',
      `
Examples:
  xfer probe bob@example.org                           what bob's clients advertise (Jingle, SI, transports)
  xfer probe --transfer --junit probe.xml bob@x.org    send a payload by each method, JUnit for CI`,
    )
    .action(async (to: string, flags: Flags) => {
      const emit = cli.reporter(flags);
      await cli.run(async () => {
        const { probe, probeJunit, probeTable } = await import('../commands/probe.js');
        const r = await probe({
          connection: await connection(flags),
          to,
          transfer: !!flags.transfer,
          methods: methodsArg(flags.methods),
          size: intArg('--size', 0, 1 << 30)(flags.size),
          peerTimeoutMs: intArg('--peer-timeout', 1)(flags.peerTimeout) * 1000,
          transport: transportOptions(flags),
          emit,
          signal: cli.signal,
        });
        if (flags.junit) writeFileSync(flags.junit, probeJunit(r));
        // The peer's JID and the failure reasons come from the network: the same escaping as every event.
        if (flags.json) process.stdout.write(`${jsonLine({ event: 'probe', ...r, time: new Date().toISOString() })}\n`);
        else process.stdout.write(`${probeTable(r).split('\n').map(printable).join('\n')}\n`);
        return r.transfers.some((t) => t.status === 'fail') ? EXIT.transfer : EXIT.ok;
      });
    });
}
