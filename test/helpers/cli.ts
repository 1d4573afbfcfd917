// Run the real CLI as a child process, the way a user or a CI script would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, readdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PROSODY, ROOT, jidOf, passwordOf, type Server } from './fixture.js';
import { jsonLines } from './json-lines.js';

export interface Run {
  code: number | null;
  events: any[];
  stdout: string;
  stderr: string;
  /** with stdoutEncoding 'buffer': stdout's bytes (a file written by receive --stdout) */
  stdoutBuffer?: Buffer;
}

export interface Proc {
  child: ChildProcess;
  events: any[];
  /** resolves with the first event of this type (or rejects when the process exits first) */
  waitFor(event: string, timeoutMs?: number, pred?: (e: any) => boolean): Promise<any>;
  done: Promise<Run>;
  /** stdout + stderr so far */
  output(): string;
}

export interface XferOpts {
  env?: Record<string, string>;
  cwd?: string;
  noCa?: boolean;
  server?: string;
  fx?: Server;
  /** run under `ulimit -f` (KiB): writes beyond it fail with EFBIG, like a full disk */
  fileSizeLimitKiB?: number;
  /** human output (what a person at a terminal sees) instead of --json; no events are parsed */
  human?: boolean;
  /** the xfer executable (default: this checkout's bin/xfer; the package test passes an installed one) */
  bin?: string;
  /** 'buffer': stdout carries data, not events */
  stdoutEncoding?: 'buffer';
  /** log in as user@domain/RESOURCE instead of a random resource */
  jidResource?: string;
  /** no --server: find the server as a user would (DNS SRV, --dns-server) */
  noServer?: boolean;
  /** log in as this JID instead of user@fixture-domain */
  jid?: string;
}

export function xfer(user: string, args: string[], opts: XferOpts = {}): Proc {
  const fx = opts.fx ?? PROSODY;
  const conn = ['--jid', opts.jid ?? jidOf(user, fx) + (opts.jidResource ? `/${opts.jidResource}` : ''), ...(opts.noServer ? [] : ['--server', opts.server ?? fx.server]), ...(opts.noCa ? [] : ['--ca', fx.caFile])];
  const argv = [opts.bin ?? path.join(ROOT, 'bin/xfer'), ...args, ...(opts.human ? [] : ['--json']), ...conn];
  const [cmd, cmdArgs] =
    opts.fileSizeLimitKiB === undefined ? [process.execPath, argv] : ['/bin/sh', ['-c', `ulimit -f ${opts.fileSizeLimitKiB} && exec "$0" "$@"`, process.execPath, ...argv]];
  const child = spawn(cmd, cmdArgs, {
    env: { ...process.env, XFER_PASSWORD: passwordOf(user), NO_COLOR: '1', ...opts.env },
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: any[] = [];
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ event: string; pred?: (e: any) => boolean; resolve: (e: any) => void }> = [];
  const chunks: Buffer[] = [];
  if (opts.stdoutEncoding === 'buffer') child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  else if (opts.human) child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  else
    jsonLines(
      child.stdout!,
      (e) => {
        events.push(e);
        for (const w of waiters.filter((w) => w.event === e.event && (!w.pred || w.pred(e)))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      },
      (d) => (stdout += d),
    );
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, events, stdout, stderr, stdoutBuffer: opts.stdoutEncoding ? Buffer.concat(chunks) : undefined })));
  return {
    child,
    events,
    done,
    output: () => stdout + stderr,
    waitFor(event, timeoutMs = 20000, pred) {
      const seen = events.find((e) => e.event === event && (!pred || pred(e)));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${event}; stderr: ${stderr}`)), timeoutMs);
        waiters.push({ event, pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
        done.then((r) => reject(new Error(`xfer exited (${r.code}) before ${event}; stderr: ${r.stderr}; last events: ${JSON.stringify(r.events.filter((e) => e.event !== 'progress').slice(-3))}`)));
      });
    },
  };
}

export function tempDir(prefix = 'xfer-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function randomFile(dir: string, name: string, size: number): string {
  const p = path.join(dir, name);
  const fd = openSync(p, 'w');
  for (let left = size; left > 0; left -= 1 << 20) writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
  closeSync(fd);
  return p;
}

export function sha256File(p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(p)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** Start a receiver and wait until it is listening. */
export async function receiver(user: string, args: string[], fx?: Server, opts: XferOpts = {}): Promise<Proc> {
  const p = xfer(user, ['receive', ...args], { fx, ...opts });
  await p.waitFor('listening');
  return p;
}

/** Files in a directory, hidden ones included (temporary and kept parts start with a dot). */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}
