// Where the fixture servers are. Prosody (the default for every test) from the environment that
// scripts/test.sh exports, or by asking fixtures/prosody/server.sh; ejabberd by asking
// fixtures/ejabberd/server.sh (the interop matrix runs on both).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';
export { ROOT };

export interface Server {
  name: 'prosody' | 'ejabberd';
  domain: string;
  server: string; // host:port
  caFile: string;
  ca: Buffer;
}

function fromScript(name: Server['name']): Record<string, string> {
  const out = execFileSync(path.join(ROOT, `fixtures/${name}/server.sh`), ['env'], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
}

function server(name: Server['name'], env: Record<string, string>): Server {
  return { name, domain: env.XFER_TEST_DOMAIN!, server: env.XFER_TEST_SERVER!, caFile: env.XFER_TEST_CA!, ca: readFileSync(env.XFER_TEST_CA!) };
}

export const PROSODY = server('prosody', process.env.XFER_TEST_SERVER && process.env.XFER_TEST_CA ? (process.env as Record<string, string>) : fromScript('prosody'));
let ejabberdCache: Server | undefined;
export const ejabberd = () => (ejabberdCache ??= server('ejabberd', fromScript('ejabberd')));

export const DOMAIN = PROSODY.domain;
export const SERVER = PROSODY.server;
export const CA_FILE = PROSODY.caFile;
export const CA = PROSODY.ca;

export const jidOf = (user: string, fx: Server = PROSODY) => `${user}@${fx.domain}`;
export const passwordOf = (user: string) => `${user}-secret`;

/**
 * A Prosody of our own for tests that stop or restart the server (faults): same fixture, other
 * ports and run directory, so the shared instance other test files use is never disturbed.
 * `profile: 'stock'` runs it with Debian's shipped rate limits (fixtures/prosody/profile-stock.lua).
 */
export function privateProsody(portBase: number, runName: string, profile: 'tuned' | 'stock' = 'tuned') {
  const env = { ...process.env, XFER_PROSODY_PORT_BASE: String(portBase), XFER_PROSODY_RUN: path.join(ROOT, '.run', runName), XFER_PROSODY_PROFILE: profile };
  const script = path.join(ROOT, 'fixtures/prosody/server.sh');
  const call = (cmd: string) => execFileSync(script, [cmd], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    start(): Server {
      call('start');
      const vars = Object.fromEntries(call('env').trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
      return server('prosody', vars);
    },
    restart: () => void call('restart'),
    stop: () => void call('stop'),
  };
}
