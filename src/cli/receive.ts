// `xfer receive` wiring: flags -> receive() -> exit code.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { EXIT, errors } from '../errors.js';
import { availableMethods } from '../transports/index.js';
import { candidateOptions, common, connection, list, DEFAULTS, intArg, methodsArg, type CliContext, type Flags } from './args.js';

export function registerReceive(program: Command, cli: CliContext): void {
  candidateOptions(common(program.command('receive')), 'Jingle SOCKS5')
    .description('wait for files and save them')
    .option('-o, --output-dir <dir>', 'where files go', '.')
    .option('--from <jid>', 'accept offers only from this JID (repeat or comma-separate; default: roster contacts and your own account)', list)
    .option('--once', 'exit after one transfer (same as --count 1)')
    .addOption(new Option('--count <n>', 'exit after n transfers; 0 = keep running').default('0'))
    .option('--timeout <seconds>', 'give up waiting after this long')
    .option('--overwrite', 'replace existing files (default: pick a free name)')
    .option('--methods <list>', 'stream methods to accept, best first', availableMethods().join(','))
    .option('--ibb-max-block-size <bytes>', 'largest IBB block accepted', DEFAULTS.ibbMaxBlockSize)
    .option('--links', 'also download jabber:x:oob links (HTTP upload) from roster contacts (with --from: on for those JIDs)')
    .option('--no-links', 'ignore jabber:x:oob links (HTTP File Upload) even from --from JIDs')
    .option('--priority <n>', 'presence priority; >= 0 also takes messages to your bare JID and those stored while offline (links sent while you were away)', '-1')
    .option('--resume', 'keep the bytes of a broken transfer (hidden .xfer-resume-*.part) and continue it when the same file is offered again')
    .option('--retry-grace <ms>', 'wait this long for the sender to retry a failed transfer with another method', DEFAULTS.retryGrace)
    .option('--s5b-stagger <ms>', 'SOCKS5: start proxy candidates this long after direct ones', DEFAULTS.s5bStagger)
    .option('--s5b-candidate-timeout <ms>', 'SOCKS5: give up on one candidate after this long', DEFAULTS.s5bCandidateTimeout)
    .option('--keepalive <seconds>', 'ping the server this often; no answer within 10 s drops the connection and makes it again', DEFAULTS.keepalive)
    .option('--strict-hosts', 'connect only to IP addresses a peer names (no host names), and none closer than your server (no loopback or LAN address when the server is remote)')
    .option('--stdout', 'receive one file and write it to standard output once it is verified (implies --once; not with --json)')
    .addHelpText(
      'after',
      `
Examples:
  xfer receive --once                                  one file from a roster contact into .
  xfer receive -o ~/in --from alice@example.org        keep running, only alice may send
  xfer receive --methods ibb --from a@x.org,b@x.org    in-band only (SOCKS5 offers fall back)
  xfer receive --resume -o ~/in                        continue broken transfers when re-sent
  xfer receive --stdout --from alice@x.org | tar x     one file into a pipe, written after verification`,
    )
    .action(async (flags: Flags) => {
      const emit = cli.reporter(flags);
      await cli.run(async () => {
        if (flags.stdout && flags.json) throw errors.usage('--stdout writes the file to standard output: it cannot carry --json events too');
        // --stdout: into a private folder first; nothing reaches the pipe before verification.
        const stdoutDir = flags.stdout ? await mkdtemp(path.join(tmpdir(), 'xfer-stdout-')) : undefined;
        let saved: string | undefined;
        try {
        const { receive } = await import('../commands/receive.js');
        const r = await receive({
          connection: await connection(flags),
          outputDir: stdoutDir ?? path.resolve(flags.outputDir),
          from: flags.from ?? [],
          count: flags.once || flags.stdout ? 1 : intArg('--count', 0)(flags.count),
          timeoutMs: flags.timeout ? intArg('--timeout', 1)(flags.timeout) * 1000 : undefined,
          overwrite: !!flags.overwrite,
          methods: methodsArg(flags.methods),
          stallTimeoutMs: intArg('--stall-timeout', 1)(flags.stallTimeout) * 1000,
          ibbMaxBlockSize: intArg('--ibb-max-block-size', 512, 65535)(flags.ibbMaxBlockSize),
          retryGraceMs: intArg('--retry-grace', 0, 600000)(flags.retryGrace),
          // Links make xfer fetch a URL someone sent: only from JIDs named with --from, or from the
          // roster when asked for with --links; never on the roster default alone.
          links: flags.links === true || (flags.links !== false && (flags.from?.length ?? 0) > 0),
          priority: intArg('--priority', -128, 127)(flags.priority),
          strictHosts: !!flags.strictHosts,
          resume: !!flags.resume,
          s5bStaggerMs: intArg('--s5b-stagger', 0, 60000)(flags.s5bStagger),
          s5bCandidateTimeoutMs: intArg('--s5b-candidate-timeout', 100, 120000)(flags.s5bCandidateTimeout),
          keepaliveMs: intArg('--keepalive', 1, 3600)(flags.keepalive) * 1000,
          transport: { direct: flags.direct !== false, directHosts: flags.directHost ?? [], directPort: 0, proxies: [], proxyDiscovery: flags.proxy !== false },
          emit: (e) => {
            if (e.event === 'done' && e.direction === 'received') saved = e.path;
            emit(e);
          },
          signal: cli.signal,
        });
        if (stdoutDir && saved && !r.error) await pipeline(createReadStream(saved), process.stdout);
        if (r.error) {
          emit({ event: 'error', code: r.error.code, message: `${r.failed} of ${r.failed + r.received} file(s) failed: ${r.error.message}`, exit: r.error.exitCode });
          return r.error.exitCode;
        }
        const wanted = flags.once ? 1 : Number(flags.count);
        if (r.timedOut && wanted > 0 && r.received < wanted) {
          emit({ event: 'error', code: 'ETIMEOUT', message: `timed out after receiving ${r.received} of ${wanted} file(s)`, exit: EXIT.timeout });
          return EXIT.timeout;
        }
        return EXIT.ok;
        } finally {
          if (stdoutDir) await rm(stdoutDir, { recursive: true, force: true });
        }
      });
    });
}
