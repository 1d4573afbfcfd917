// Flags in, exit code out. Commands do the work and emit events; reporters render them.
import { readFileSync, rmSync } from 'node:fs';
import { openTemporaryFiles } from './files/sink.js';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { EXIT, errors, toXferError } from './errors.js';
import { getPassword } from './password.js';
import { send } from './commands/send.js';
import { receive } from './commands/receive.js';
import { sendByUpload } from './commands/upload.js';
import { probe, probeJunit, probeTable } from './commands/probe.js';
import { printable } from './files/safe-name.js';
import { writeFileSync } from 'node:fs';
import { humanReporter } from './report/human.js';
import { jsonReporter } from './report/json.js';
import type { Emit } from './report/events.js';
import { availableMethods, parseMethods } from './transports/index.js';
import { parseProtocol } from './negotiators/index.js';
import { parseRate } from './streams/rate.js';
import type { SessionOptions } from './xmpp/session.js';
import type { MethodName, TransportOptions } from './transports/types.js';

interface CommonFlags {
  jid?: string;
  passwordFile?: string;
  server?: string;
  ca?: string;
  insecure?: boolean;
  json?: boolean;
  stallTimeout: string;
}

const intArg = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw errors.usage(`${name} must be an integer from ${min} to ${max}`);
  return n;
};

function common(cmd: Command): Command {
  return cmd
    .option('--jid <jid>', 'your account (or XFER_JID)')
    .option('--password-file <file>', 'read the password from this file (else XFER_PASSWORD, else a prompt)')
    .option('--server <host[:port]>', 'connect here instead of the JID\'s domain (or XFER_SERVER)')
    .option('--ca <file>', 'trust this PEM certificate/CA for the server (or XFER_CA)')
    .option('--insecure', 'do not verify the server certificate (testing only)')
    .option('--json', 'one JSON event per line on stdout')
    .option('--stall-timeout <seconds>', 'abort when no progress for this long', '60');
}

function rateArg(v: string): number {
  const n = parseRate(v);
  if (n === undefined) throw errors.usage('--limit-rate must be bytes per second, optionally with K, M or G (e.g. 500K, 2M)');
  return n;
}

function methodsArg(list: string): MethodName[] {
  try {
    return parseMethods(list);
  } catch (err: any) {
    throw errors.usage(err.message);
  }
}

/** Sender-side transport flags (send and probe share them). */
function transportOptions(flags: CommonFlags & Record<string, any>): TransportOptions {
  return {
    ibbBlockSize: intArg('--ibb-block-size', 512, 65535)(flags.ibbBlockSize ?? '49152'),
    ibbWindow: intArg('--ibb-window', 1, 256)(flags.ibbWindow ?? '32'),
    stallTimeoutMs: intArg('--stall-timeout', 1)(flags.stallTimeout) * 1000,
    direct: flags.direct !== false,
    directHosts: flags.directHost ?? [],
    directPort: intArg('--direct-port', 0, 65535)(flags.directPort ?? '0'),
    httpHosts: flags.httpHost ?? [],
    httpPort: intArg('--http-port', 0, 65535)(flags.httpPort ?? '0'),
    proxies: Array.isArray(flags.proxy) ? flags.proxy : [],
    // Named proxies replace discovery: the user said which ones to use.
    proxyDiscovery: flags.proxy === undefined || flags.proxy === true,
    limitRate: flags.limitRate === undefined ? undefined : rateArg(flags.limitRate),
  };
}

async function connection(flags: CommonFlags): Promise<SessionOptions> {
  const jid = flags.jid ?? process.env.XFER_JID;
  if (!jid) throw errors.usage('--jid (or XFER_JID) is required');
  const caFile = flags.ca ?? process.env.XFER_CA;
  let ca: Buffer | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile);
    } catch (err: any) {
      throw errors.usage(`cannot read --ca ${caFile}: ${err.code ?? err.message}`);
    }
  }
  return { jid, password: await getPassword({ passwordFile: flags.passwordFile, jid }), server: flags.server ?? process.env.XFER_SERVER, ca, insecure: !!flags.insecure };
}

function reporter(flags: CommonFlags): Emit {
  return flags.json ? jsonReporter() : humanReporter();
}

export async function main(argv: string[]): Promise<void> {
  const ac = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    ac.abort(errors.cancelled('interrupted'));
  });
  process.on('SIGTERM', () => ac.abort(errors.cancelled('terminated')));

  let emit: Emit = humanReporter();
  // Last resort: a bug here or in a dependency (e.g. undici asserting on a malformed response from
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
      process.exitCode = await fn();
    } catch (e) {
      const err = toXferError(e);
      emit({ event: 'error', code: err.code, message: err.message, exit: err.exitCode });
      process.exitCode = err.exitCode;
    }
  };

  const program = new Command('xfer')
    .description('Move files between XMPP accounts (Jingle and SI file transfer: SOCKS5, IBB, out-of-band HTTP, HTTP upload)')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  common(program.command('send'))
    .description('send files to an XMPP account (user@host picks an online resource; a full JID is used as given)')
    .argument('<files_and_jid...>', 'FILE... JID')
    .option('--methods <list>', `stream methods in order of preference (${availableMethods().join(',')})`, availableMethods().join(','))
    .option('--method <method>', "one method only: s5b, oob, ibb, or 'upload' (HTTP File Upload + link; works for offline peers)")
    .option('--protocol <protocol>', 'negotiation: auto (Jingle when the peer speaks it, else SI; SI after a failed Jingle session), jingle or si', 'auto')
    .option('--desc <text>', 'description sent with the offer')
    .option('--offer-timeout <seconds>', 'how long the peer has to accept', '60')
    .option('--peer-timeout <seconds>', 'how long to look for an online resource of a bare JID', '6')
    .option('--ibb-block-size <bytes>', 'IBB block size (halved while the peer answers resource-constraint)', '49152')
    .option('--ibb-window <n>', 'IBB blocks in flight', '32')
    .option('--no-direct', 'SOCKS5: do not offer our own streamhost')
    .option('--direct-host <host...>', "SOCKS5: advertise these addresses for our streamhost ('auto' = the interface that reaches the server)")
    .option('--direct-port <port>', 'SOCKS5: port for our streamhost (default: any free port)', '0')
    .option('--http-host <host...>', "OOB: advertise these addresses for the temporary HTTP server ('auto' as for --direct-host)")
    .option('--http-port <port>', 'OOB: port for the temporary HTTP server (default: any free port)', '0')
    .option('--proxy <jid...>', 'SOCKS5: offer these proxies (instead of the ones found on your server)')
    .option('--no-proxy', 'SOCKS5: offer no proxy and do not look for one')
    .option('--limit-rate <rate>', 'cap the average send rate, bytes per second with optional K, M or G (e.g. 2M)')
    .action(async (args: string[], flags: CommonFlags & Record<string, string>) => {
      emit = reporter(flags);
      await run(async () => {
        if (args.length < 2) throw errors.usage('usage: xfer send FILE... JID');
        const to = args[args.length - 1]!;
        if (flags.method === 'upload') {
          const r = await sendByUpload({ connection: await connection(flags), files: args.slice(0, -1), to, desc: flags.desc, emit, signal: ac.signal });
          if (r.error) emit({ event: 'error', code: r.error.code, message: `${r.failed} of ${r.failed + r.sent} file(s) failed: ${r.error.message}`, exit: r.error.exitCode });
          return r.error ? r.error.exitCode : EXIT.ok;
        }
        const methods = methodsArg(flags.method ?? flags.methods!);
        const r = await send({
          connection: await connection(flags),
          files: args.slice(0, -1),
          to,
          methods,
          protocol: parseProtocol(flags.protocol!),
          desc: flags.desc,
          offerTimeoutMs: intArg('--offer-timeout', 1)(flags.offerTimeout!) * 1000,
          peerTimeoutMs: intArg('--peer-timeout', 1)(flags.peerTimeout!) * 1000,
          transport: transportOptions(flags),
          emit,
          signal: ac.signal,
        });
        if (r.error) emit({ event: 'error', code: r.error.code, message: `${r.failed} of ${r.failed + r.sent} file(s) failed: ${r.error.message}`, exit: r.error.exitCode });
        return r.error ? r.error.exitCode : EXIT.ok;
      });
    });

  common(program.command('receive'))
    .description('wait for files and save them')
    .option('-o, --output-dir <dir>', 'where files go', '.')
    .option('--from <jid...>', 'accept offers only from these JIDs (default: roster contacts and your own account)')
    .option('--once', 'exit after one transfer (same as --count 1)')
    .addOption(new Option('--count <n>', 'exit after n transfers; 0 = keep running').default('0'))
    .option('--timeout <seconds>', 'give up waiting after this long')
    .option('--overwrite', 'replace existing files (default: pick a free name)')
    .option('--methods <list>', 'stream methods to accept, best first', availableMethods().join(','))
    .option('--ibb-max-block-size <bytes>', 'largest IBB block accepted', '65535')
    .option('--no-links', 'ignore jabber:x:oob links (HTTP File Upload) from allowed senders')
    .option('--resume', 'keep the bytes of a broken transfer (hidden .xfer-resume-*.part) and continue it when the same file is offered again')
    .option('--retry-grace <ms>', 'wait this long for the sender to retry a failed transfer with another method', '5000')
    .option('--s5b-stagger <ms>', 'SOCKS5: start proxy candidates this long after direct ones', '300')
    .option('--s5b-candidate-timeout <ms>', 'SOCKS5: give up on one candidate after this long', '3000')
    .option('--no-direct', 'Jingle SOCKS5: do not offer our own streamhost')
    .option('--direct-host <host...>', "Jingle SOCKS5: advertise these addresses for our streamhost ('auto' = the interface that reaches the server)")
    .option('--no-proxy', 'Jingle SOCKS5: offer no proxy and do not look for one')
    .action(async (flags: CommonFlags & Record<string, any>) => {
      emit = reporter(flags);
      await run(async () => {
        const methods = methodsArg(flags.methods);
        const r = await receive({
          connection: await connection(flags),
          outputDir: path.resolve(flags.outputDir),
          from: flags.from ?? [],
          count: flags.once ? 1 : intArg('--count', 0)(flags.count),
          timeoutMs: flags.timeout ? intArg('--timeout', 1)(flags.timeout) * 1000 : undefined,
          overwrite: !!flags.overwrite,
          methods,
          stallTimeoutMs: intArg('--stall-timeout', 1)(flags.stallTimeout) * 1000,
          ibbMaxBlockSize: intArg('--ibb-max-block-size', 512, 65535)(flags.ibbMaxBlockSize),
          retryGraceMs: intArg('--retry-grace', 0, 600000)(flags.retryGrace),
          links: flags.links !== false,
          resume: !!flags.resume,
          s5bStaggerMs: intArg('--s5b-stagger', 0, 60000)(flags.s5bStagger),
          s5bCandidateTimeoutMs: intArg('--s5b-candidate-timeout', 100, 120000)(flags.s5bCandidateTimeout),
          transport: { direct: flags.direct !== false, directHosts: flags.directHost ?? [], directPort: 0, proxies: [], proxyDiscovery: flags.proxy !== false },
          emit,
          signal: ac.signal,
        });
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
      });
    });

  common(program.command('probe'))
    .description("list the file-transfer features a peer advertises; with --transfer, send a small payload by each method")
    .argument('<jid>', 'peer (bare or full JID)')
    .option('--transfer', 'also send a generated payload by each method (the peer must run xfer receive and allow you)')
    .option('--methods <list>', 'methods to try, in order', availableMethods().join(','))
    .option('--size <bytes>', 'payload size', '65536')
    .option('--junit <file>', 'write the per-method results as JUnit XML')
    .option('--peer-timeout <seconds>', 'how long to look for an online resource of a bare JID', '6')
    .action(async (to: string, flags: CommonFlags & Record<string, any>) => {
      emit = reporter(flags);
      await run(async () => {
        const methods = methodsArg(flags.methods);
        const r = await probe({
          connection: await connection(flags),
          to,
          transfer: !!flags.transfer,
          methods,
          size: intArg('--size', 0, 1 << 30)(flags.size),
          peerTimeoutMs: intArg('--peer-timeout', 1)(flags.peerTimeout) * 1000,
          transport: transportOptions(flags),
          emit,
          signal: ac.signal,
        });
        if (flags.junit) writeFileSync(flags.junit, probeJunit(r));
        if (flags.json) process.stdout.write(`${JSON.stringify({ event: 'probe', ...r, time: new Date().toISOString() })}\n`);
        else process.stdout.write(`${probeTable(r).split("\n").map(printable).join("\n")}\n`);
        return r.transfers.some((t) => t.status === 'fail') ? EXIT.transfer : EXIT.ok;
      });
    });

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
