// Where the fixture Prosody is: from the environment scripts/test.sh exports, or by asking
// fixtures/prosody/server.sh (so a single test file can run against an already started server).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ROOT } from './paths.js';
export { ROOT };

function fixtureEnv(): Record<string, string> {
  if (process.env.XFER_TEST_SERVER && process.env.XFER_TEST_CA) return process.env as Record<string, string>;
  const out = execFileSync(path.join(ROOT, 'fixtures/prosody/server.sh'), ['env'], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
}

const env = fixtureEnv();
export const DOMAIN = env.XFER_TEST_DOMAIN ?? 'localhost';
export const SERVER = env.XFER_TEST_SERVER!;
export const CA_FILE = env.XFER_TEST_CA!;
export const CA = readFileSync(CA_FILE);
export const PROXY = env.XFER_TEST_PROXY ?? `proxy.${DOMAIN}`;

export const jidOf = (user: string) => `${user}@${DOMAIN}`;
export const passwordOf = (user: string) => `${user}-secret`;
