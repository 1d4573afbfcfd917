// `xfer send` wiring: flags -> send() or sendByUpload() -> exit code.
import type { Command } from 'commander';
import { EXIT, errors } from '../errors.js';
import { stat } from 'node:fs/promises';
import { spool } from '../files/spool.js';
import { splitJid } from '../xmpp/session.js';
import { parseProtocol } from '../negotiators/index.js';
import { availableMethods } from '../transports/index.js';
import { candidateOptions, common, connection, list, DEFAULTS, intArg, methodsArg, transportOptions, type CliContext, type Flags } from './args.js';

export function registerSend(program: Command, cli: CliContext): void {
  candidateOptions(common(program.command('send')), 'SOCKS5')
    .description('send files to an XMPP account (user@host picks an online resource; a full JID is used as given)')
    .argument('<files_and_jid...>', 'FILE... JID')
    .option('--methods <list>', `stream methods in order of preference (${availableMethods().join(',')})`, availableMethods().join(','))
    .option('--method <method>', "one method only: s5b, oob, ibb, or 'upload' (HTTP File Upload + link; works for offline peers)")
    .option('--protocol <protocol>', 'negotiation: auto (Jingle when the peer speaks it, else SI; SI after a failed Jingle session), jingle or si', 'auto')
    .option('--desc <text>', 'description sent with the offer')
    .option('--name <name>', "the file name to offer for standard input (FILE '-')")
    .option('--offer-timeout <seconds>', 'how long the peer has to accept', DEFAULTS.offerTimeout)
    .option('--peer-timeout <seconds>', 'how long to look for an online resource of a bare JID', DEFAULTS.peerTimeout)
    .option('--ibb-block-size <bytes>', 'IBB block size (halved while the peer answers resource-constraint)', DEFAULTS.ibbBlockSize)
    .option('--ibb-window <n>', 'IBB blocks in flight', DEFAULTS.ibbWindow)
    .option('--direct-port <port>', 'SOCKS5: port for our streamhost (default: any free port)')
    .option('--http-host <host>', "OOB: advertise these addresses for the temporary HTTP server ('auto' as for --direct-host)", list)
    .option('--http-port <port>', 'OOB: port for the temporary HTTP server (default: any free port)')
    .option('--proxy <jid>', 'SOCKS5: offer this proxy instead of the ones found on your server (repeat or comma-separate)', list)
    .option('--limit-rate <rate>', 'cap the average send rate, bytes per second with optional K, M or G (e.g. 2M)')
    .addHelpText(
      'after',
      `
Examples:
  xfer send report.pdf bob@example.org                 one file; Jingle or SI, whatever the peer speaks
  xfer send a.jpg b.jpg bob@example.org/laptop         several files to one resource
  xfer send --method upload big.iso bob@example.org    HTTP upload + link: works when bob is offline
  xfer send --methods ibb --protocol si f bob@x.org    force SI over in-band bytestreams
  xfer send --proxy proxy.example.org f bob@x.org      offer this SOCKS5 proxy (repeatable)
  xfer send photos/ bob@example.org                    a folder: every file, subfolders kept (xfer receivers)
  tar c src | xfer send - --name src.tar bob@x.org     standard input (copied to a temporary file first)
  xfer send --json f bob@example.org | jq .            one JSON event per line, for scripts`,
    )
    .action(async (args: string[], flags: Flags) => {
      const emit = cli.reporter(flags);
      await cli.run(async () => {
        if (args.length < 2) throw errors.usage('usage: xfer send FILE... JID');
        const to = args[args.length - 1]!;
        splitJid(to);
        const files = args.slice(0, -1);
        // Loaded when used: `xfer --help` and the other commands do not pay for it.
        const { prepareFiles, send } = await import('../commands/send.js');
        // A typo in a file name must not cost a password prompt or a login.
        const stdin = files.filter((f) => f === '-').length;
        if (stdin > 1) throw errors.usage("standard input ('-') can be sent once");
        if (stdin && !flags.name) throw errors.usage("sending standard input ('-') needs --name NAME");
        if (stdin && flags.method === 'upload') throw errors.usage("--method upload takes files, not standard input ('-')");
        // Every file and folder checked (once) before standard input is read; '-' keeps its place.
        const perArg = [];
        for (const f of files) perArg.push(f === '-' ? undefined : await prepareFiles([f]));
        const spooled = stdin ? await spool(process.stdin, flags.name) : undefined;
        const fromStdin = async () => {
          const st = await stat(spooled!.file);
          return [{ file: spooled!.file, name: spooled!.name, size: st.size, mtime: st.mtime }];
        };
        const prepared = [];
        for (const p of perArg) prepared.push(...(p ?? (await fromStdin())));
        try {
        const r =
          flags.method === 'upload'
            ? await (await import('../commands/upload.js')).sendByUpload({ connection: await connection(flags), files, to, desc: flags.desc, emit, signal: cli.signal })
            : await send({
                connection: await connection(flags),
                files,
                to,
                prepared,
                methods: methodsArg(flags.method ?? flags.methods),
                protocol: parseProtocol(flags.protocol),
                desc: flags.desc,
                offerTimeoutMs: intArg('--offer-timeout', 1)(flags.offerTimeout) * 1000,
                peerTimeoutMs: intArg('--peer-timeout', 1)(flags.peerTimeout) * 1000,
                transport: transportOptions(flags),
                emit,
                signal: cli.signal,
              });
        if (r.error) emit({ event: 'error', code: r.error.code, message: `${r.failed} of ${r.failed + r.sent} file(s) failed: ${r.error.message}`, exit: r.error.exitCode });
        return r.error ? r.error.exitCode : EXIT.ok;
        } finally {
          await spooled?.cleanup();
        }
      });
    });
}
