// XEP-0066 jabber:iq:oob negotiated in SI (§5, with the sid) as an xfer transport.
//
// Sender: serve the file from a temporary HTTP server (src/http/file-server.ts) on the same
// addresses SOCKS5 direct would use, send the URL, and wait for the receiver's iq result, which
// by the spec comes only after the download finished. Receiver: download (src/http/download.ts) into the
// sink, and answer only after the command verified the hash and placed the file.
import { debug } from '../log.js';
import { errors, XferError } from '../errors.js';
import { OneFileServer } from '../http/file-server.js';
import { DownloadError, download } from '../http/download.js';
import { NS } from '../protocol/ns.js';
import { buildIqOob, parseIqOob } from '../protocol/oob.js';
import { StanzaError } from '../protocol/stanza-error.js';
import { replyError } from '../xmpp/session.js';
import { bindAddress, directCandidates } from '../net/addresses.js';
import type { IncomingRegistry, ReceiverTransport, SendContext, SenderTransport } from './types.js';
import path from 'node:path';
import { RateLimiter } from '../streams/rate.js';

const log = debug('xfer:oob');

export const oobSender: SenderTransport = {
  name: 'oob',
  async send(ctx: SendContext): Promise<void> {
    const { session, peer, sid } = ctx;
    const limiter = ctx.options.limitRate ? new RateLimiter(ctx.options.limitRate) : undefined;
    const server = new OneFileServer({ path: ctx.path, name: path.basename(ctx.path), size: ctx.size }, (b) => ctx.onProgress(b), limiter);
    try {
      const bind = bindAddress(session);
      const port = await server.listen(bind, ctx.options.httpPort);
      const [addr] = directCandidates(session, ctx.options.httpHosts, port);
      if (!addr) throw errors.transfer('OOB: no address to advertise for the HTTP server');
      const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
      const url = `http://${host}:${addr.port}${server.urlPath}`;
      log('serving %s', url);
      // The answer comes when the download is done: allow for a slow link, bounded by the
      // stall timeout per MiB… but never less than a few minutes.
      const timeout = Math.max(ctx.options.stallTimeoutMs, 5 * 60000, (ctx.size / (256 << 10)) * 1000);
      const abort = new Promise<never>((_, rej) => ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason), { once: true }));
      try {
        await Promise.race([session.iq(peer, 'set', buildIqOob({ url, sid }), timeout), abort]);
      } catch (err) {
        if (err instanceof StanzaError) throw errors.transfer(`OOB: peer could not fetch the file (${err.condition}${err.info.text ? `: ${err.info.text}` : ''})`);
        throw err;
      }
    } finally {
      server.close();
    }
  },
};

export const oobReceiver: ReceiverTransport = {
  name: 'oob',
  install(session, registry: IncomingRegistry, options) {
    return session.handleIq('set', NS.iqOob, 'query', async ({ from, child }) => {
      const o = parseIqOob(child);
      if (o && !o.sid && options.legacyOob) {
        const failed = await options.legacyOob(from, o.url);
        if (failed) throw replyError('cancel', failed instanceof DownloadError ? failed.condition : 'not-acceptable', failed.message);
        return undefined;
      }
      const inc = o?.sid ? registry.lookup(o.sid, from, 'oob') : undefined;
      if (!o || !inc) throw replyError('cancel', 'not-acceptable', 'no such transfer');
      try {
        await download(o.url, inc.sink, { signal: inc.signal, stallTimeoutMs: options.stallTimeoutMs, onProgress: (b) => inc.onProgress(b), offset: inc.sink.bytes, accept: options.acceptHost });
        inc.complete();
      } catch (err) {
        inc.fail(err as Error);
        await inc.settled;
        throw replyError('cancel', downloadCondition(err), (err as Error).message);
      }
      const failed = await inc.settled;
      if (failed) throw replyError('cancel', 'not-acceptable', failed.message);
      return undefined;
    });
  },
};

// XEP-0066 §3: a download that was tried and did not succeed is item-not-found; not-acceptable is
// for what the receiver refuses. A stall can be noticed by the HTTP idle timer (DownloadError) or,
// at the same moment, by the command's own stall watchdog (ESTALL): both are the same failure.
function downloadCondition(err: unknown): 'item-not-found' | 'not-acceptable' {
  if (err instanceof DownloadError) return err.condition;
  if (err instanceof XferError && err.code === 'ESTALL') return 'item-not-found';
  return 'not-acceptable';
}
