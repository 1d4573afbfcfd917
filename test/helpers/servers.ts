// The fixture servers' scripts (fixtures/*/server.sh) as functions, with no side effect at import:
// the tests (fixture.ts) and the bench both use them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface Server {
  name: 'prosody' | 'ejabberd';
  domain: string;
  server: string; // host:port
  caFile: string;
  ca: Buffer;
}

/** `server.sh env` of one fixture, as variables (XFER_TEST_SERVER, XFER_TEST_CA, ...). */
export function serverEnv(name: Server['name'], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out = execFileSync(path.join(ROOT, `fixtures/${name}/server.sh`), ['env'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
}

export function server(name: Server['name'], env: Record<string, string>): Server {
  return { name, domain: env.XFER_TEST_DOMAIN!, server: env.XFER_TEST_SERVER!, caFile: env.XFER_TEST_CA!, ca: readFileSync(env.XFER_TEST_CA!) };
}

/**
 * A server of our own: same fixture, other ports and run directory, so the shared instance other
 * test files use is never disturbed (tests that stop or restart it; the bench's stock servers).
 * `profile: 'stock'` runs it as its package ships it (fixtures/NAME/profile-stock.*).
 */
export function privateServer(name: Server['name'], portBase: number, runName: string, profile: 'tuned' | 'stock' = 'tuned') {
  const upper = name.toUpperCase();
  const env = { ...process.env, [`XFER_${upper}_PORT_BASE`]: String(portBase), [`XFER_${upper}_RUN`]: path.join(ROOT, '.run', runName), [`XFER_${upper}_PROFILE`]: profile };
  const call = (cmd: string) => void execFileSync(path.join(ROOT, `fixtures/${name}/server.sh`), [cmd], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    start(): Server {
      call('start');
      return server(name, serverEnv(name, env));
    },
    restart: () => call('restart'),
    stop: () => call('stop'),
  };
}
