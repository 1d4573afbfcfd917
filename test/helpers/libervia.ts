// A real Libervia 0.9 (Debian libervia-backend + libervia-cli) as a third-party Jingle and SI
// peer: one backend per test file, run headless from its own HOME under .run/, stopped by PID.
//
// Everything below is what a user of this machine would set up, not a change to Libervia's
// behaviour:
// - `bridge = pb`: the frontends reach the backend over D-Bus by default and there is no D-Bus
//   session here; PB over a UNIX socket in its own data dir is Libervia's other shipped bridge.
// - SSL_CERT_FILE: the fixture's CA, as a user trusts their server's CA in the system store.
//   Certificate checking stays on.
// - "Force server"/"Force port": the account's connection settings (the fixture domain has no
//   SRV record), like xfer's --server.
// - General/allow_get_ip = false: otherwise Libervia's SOCKS5 setup asks the user for permission
//   to look up the public IP on an outside web site and waits on that prompt (and this network
//   is loopback only); false is the user's answer to that prompt.
// - Its Python entry points need Debian's /usr/bin/python3, first on PATH.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { passwordOf, ROOT, type Server } from './fixture.js';

export class Libervia {
  private backend?: ChildProcess;
  private readonly home: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly fx: Server;

  constructor(fx: Server, name = 'libervia') {
    this.fx = fx;
    this.home = path.join(ROOT, '.run', name);
    this.env = { ...process.env, HOME: this.home, XDG_CONFIG_HOME: path.join(this.home, '.config'), XDG_DATA_HOME: path.join(this.home, '.local/share'), XDG_CACHE_HOME: path.join(this.home, '.cache'), PATH: `/usr/bin:${process.env.PATH}`, SSL_CERT_FILE: fx.caFile };
  }

  async start(): Promise<void> {
    rmSync(this.home, { recursive: true, force: true });
    mkdirSync(path.join(this.home, '.config/libervia'), { recursive: true });
    writeFileSync(path.join(this.home, '.config/libervia/libervia.conf'), '[DEFAULT]\nbridge = pb\n');
    const log = path.join(this.home, 'backend.log');
    this.backend = spawn('libervia-backend', ['fg'], { env: this.env, cwd: this.home, stdio: ['ignore', 'ignore', 'ignore'] });
    writeFileSync(path.join(this.home, 'backend.pid'), String(this.backend.pid));
    const sock = path.join(this.home, '.local/share/libervia/bridge_pb');
    for (let i = 0; i < 300 && !existsSync(sock); i++) await sleep(100);
    if (!existsSync(sock)) throw new Error(`libervia backend did not come up (see ${log})`);
    await sleep(500);
  }

  /** Create, configure and connect a profile for `user`@domain/`resource`; returns the full JID. */
  profile(user: string, resource = 'lv'): string {
    const jid = `${user}@${this.fx.domain}/${resource}`;
    const [host, port] = this.fx.server.split(':');
    this.cli(['profile', 'create', '-j', jid, '-x', passwordOf(user), '-p', '', user]);
    this.cli(['param', 'set', '-p', user, 'Connection', 'Force server', host!]);
    this.cli(['param', 'set', '-p', user, 'Connection', 'Force port', port!]);
    this.cli(['param', 'set', '-p', user, 'General', 'allow_get_ip', 'false']);
    this.cli(['profile', 'connect', '-c', '-p', user]);
    return jid;
  }

  cli(args: string[]): string {
    const r = spawnSync('libervia-cli', args, { env: this.env, cwd: this.home, encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) throw new Error(`libervia-cli ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  }

  /** A long-running libervia-cli (file send / file receive: it does not exit after a transfer). */
  spawnCli(args: string[]): { child: ChildProcess; output: () => string } {
    let out = '';
    const child = spawn('libervia-cli', args, { env: this.env, cwd: this.home, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    return { child, output: () => out };
  }

  backendLog(): string {
    try {
      return readFileSync(path.join(this.home, '.local/share/libervia/libervia.log'), 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    const b = this.backend;
    if (!b || b.exitCode !== null) return;
    b.kill('SIGTERM');
    for (let i = 0; i < 50 && b.exitCode === null && b.signalCode === null; i++) await sleep(100);
    if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
    rmSync(path.join(this.home, 'backend.pid'), { force: true });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `file` exists with `size` bytes (Libervia's CLI gives no other end signal). */
export async function waitForFile(file: string, size: number, timeoutMs: number): Promise<boolean> {
  const { statSync } = await import('node:fs');
  for (const t0 = Date.now(); Date.now() - t0 < timeoutMs; await sleep(100)) {
    try {
      if (statSync(file).size === size) return true;
    } catch {}
  }
  return false;
}
