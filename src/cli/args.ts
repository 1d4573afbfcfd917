// Flag parsing shared by the commands: each default written once, every bad value a usage error
// (exit 2), and the context every command's wiring gets from main().
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { errors } from '../errors.js';
import { getPassword } from '../password.js';
import type { Emit } from '../report/events.js';
import { humanReporter } from '../report/human.js';
import { jsonReporter } from '../report/json.js';
import { parseRate } from '../streams/rate.js';
import { setVerbose } from '../log.js';
import { parseMethods } from '../transports/index.js';
import type { MethodName, TransportOptions } from '../transports/types.js';
import { splitJid, type SessionOptions } from '../xmpp/session.js';

export interface CommonFlags {
  jid?: string;
  passwordFile?: string;
  server?: string;
  directTls?: boolean;
  dnsServer?: string;
  ca?: string;
  insecure?: boolean;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  xml?: boolean;
  stallTimeout: string;
}

export type Flags = CommonFlags & Record<string, any>;

/** What main() hands each command's wiring. */
export interface CliContext {
  /** run the command: its result is the exit code, a thrown error becomes an `error` event */
  run(fn: () => Promise<number>): Promise<void>;
  /** pick the reporter for these flags (human or --json) and return it */
  reporter(flags: CommonFlags): Emit;
  signal: AbortSignal;
}

export const DEFAULTS = {
  stallTimeout: '60',
  ibbBlockSize: '49152',
  ibbWindow: '32',
  ibbMaxBlockSize: '65535',
  offerTimeout: '60',
  peerTimeout: '6',
  retryGrace: '5000',
  s5bStagger: '300',
  s5bCandidateTimeout: '3000',
  probeSize: '65536',
  keepalive: '30',
} as const;

export const intArg = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw errors.usage(`${name} must be an integer from ${min} to ${max}`);
  return n;
};

export function common(cmd: Command): Command {
  return cmd
    .option('--jid <jid>', 'your account (or XFER_JID)')
    .option('--password-file <file>', 'read the password from this file (else XFER_PASSWORD, else a prompt)')
    .option('--server <host[:port]>', 'connect here instead of looking up the JID\'s domain in DNS (or XFER_SERVER)')
    .option('--direct-tls', 'with --server: TLS from the first byte (XEP-0368), not STARTTLS (default port 5223)')
    .option('--dns-server <addr[:port]>', 'ask this DNS resolver for SRV records instead of the system\'s (or XFER_DNS_SERVER)')
    .option('--ca <file>', 'trust this PEM certificate/CA for the server (or XFER_CA)')
    .option('--insecure', 'do not verify the server certificate (testing only)')
    .option('--json', 'one JSON event per line on stdout')
    .option('-q, --quiet', 'human output: only results and errors (no progress, no steps)')
    .option('-v, --verbose', 'print each protocol step (SI, Jingle, SOCKS5, IBB) on stderr')
    .option('--xml', 'print every XML element sent (>>) and received (<<) on stderr; SASL payloads and IBB data elided')
    .option('--stall-timeout <seconds>', 'abort when no progress for this long', DEFAULTS.stallTimeout);
}

/**
 * For options that take several values: repeat the option or separate with commas. Never
 * variadic: `--proxy A FILE JID` must not swallow the positional arguments.
 */
export const list = (v: string, prev: string[] | undefined): string[] => [...(Array.isArray(prev) ? prev : []), ...v.split(',').map((x) => x.trim()).filter(Boolean)];

/** SOCKS5 candidates we offer ourselves: send (SI and Jingle) and receive (Jingle) alike. */
export function candidateOptions(cmd: Command, who: string): Command {
  return cmd
    .option('--no-direct', `${who}: do not offer our own streamhost`)
    .option('--direct-host <host>', `${who}: advertise this address for our streamhost ('auto' = the interface that reaches the server; repeat or comma-separate)`, list)
    .option('--no-proxy', `${who}: offer no proxy and do not look for one`);
}

export function rateArg(v: string): number {
  const n = parseRate(v);
  if (n === undefined) throw errors.usage('--limit-rate must be bytes per second, optionally with K, M or G (e.g. 500K, 2M)');
  return n;
}

export function methodsArg(list: string): MethodName[] {
  try {
    return parseMethods(list);
  } catch (err: any) {
    throw errors.usage(err.message);
  }
}

/** Sender-side transport flags (send and probe share them). */
export function transportOptions(flags: Flags): TransportOptions {
  return {
    ibbBlockSize: intArg('--ibb-block-size', 512, 65535)(flags.ibbBlockSize ?? DEFAULTS.ibbBlockSize),
    ibbWindow: intArg('--ibb-window', 1, 256)(flags.ibbWindow ?? DEFAULTS.ibbWindow),
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

export async function connection(flags: CommonFlags): Promise<SessionOptions> {
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
  const xmlLog = flags.xml ? (dir: 'in' | 'out', x: string) => void process.stderr.write(`${dir === 'in' ? '<<' : '>>'} ${x}\n`) : undefined;
  const server = flags.server ?? process.env.XFER_SERVER;
  if (flags.directTls && !server) throw errors.usage('--direct-tls needs --server (without it, DNS SRV records say which servers speak direct TLS)');
  splitJid(jid);
  return {
    jid,
    password: await getPassword({ passwordFile: flags.passwordFile, jid }),
    server,
    directTls: !!flags.directTls,
    dnsServer: flags.dnsServer ?? process.env.XFER_DNS_SERVER,
    ca,
    insecure: !!flags.insecure,
    xmlLog,
  };
}

export function reporterFor(flags: CommonFlags): Emit {
  setVerbose(!!flags.verbose);
  return flags.json ? jsonReporter() : humanReporter(process.stderr, { quiet: !!flags.quiet });
}
