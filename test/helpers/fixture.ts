// Where the fixture servers are. Prosody (the default for every test) from the environment that
// scripts/test.sh exports, or by asking fixtures/prosody/server.sh; ejabberd by asking
// fixtures/ejabberd/server.sh (the interop matrix runs on both).
import { ROOT } from './paths.js';
import { server, serverEnv, type Server } from './servers.js';
export { privateServer } from './servers.js';
export { ROOT, type Server };

export const PROSODY = server('prosody', process.env.XFER_TEST_SERVER && process.env.XFER_TEST_CA ? (process.env as Record<string, string>) : serverEnv('prosody'));
let ejabberdCache: Server | undefined;
export const ejabberd = () => (ejabberdCache ??= server('ejabberd', serverEnv('ejabberd')));

export const DOMAIN = PROSODY.domain;
export const SERVER = PROSODY.server;
export const CA_FILE = PROSODY.caFile;
export const CA = PROSODY.ca;

export const jidOf = (user: string, fx: Server = PROSODY) => `${user}@${fx.domain}`;
export const passwordOf = (user: string) => `${user}-secret`;
