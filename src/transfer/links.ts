// Files that arrive as a URL outside any negotiation: x:oob links in messages (HTTP File Upload,
// XEP-0363 + XEP-0066) and legacy jabber:iq:oob sets without SI. Same lifecycle as the rest.
import { randomBytes } from 'node:crypto';
import { toXferError } from '../errors.js';
import { checkUrl, download, DownloadError, headSize } from '../http/download.js';
import { parseXOobMessage, type OobMessage } from '../protocol/oob.js';
import type { Emit } from '../report/events.js';
import type { Session } from '../xmpp/session.js';
import type { IncomingTransfers } from './incoming.js';

export function installLinks(session: Session, incoming: IncomingTransfers, allowed: (jid: string) => boolean, opts: { links: boolean; stallTimeoutMs: number; emit: Emit; acceptHost?: (host: string) => boolean }) {
  const { emit } = opts;
  /** A URL from an allowed sender outside SI (x:oob link, or a legacy jabber:iq:oob set). */
  const receiveLink = async (from: string, link: OobMessage, method: 'upload' | 'oob'): Promise<Error | undefined> => {
    const sid = `link-${randomBytes(6).toString('hex')}`;
    let name = 'file';
    try {
      const url = checkUrl(link.url, opts.acceptHost);
      name = decodeURIComponent(url.pathname.split('/').pop() || 'file');
      const size = link.size ?? (await headSize(url));
      if (size === undefined) throw new DownloadError('link without a known size (no Content-Length)', 'not-acceptable');
      emit({ event: 'offer-received', from, name, size, sid, methods: [method] });
      if (incoming.busy()) throw new DownloadError('receiver is busy', 'not-acceptable');
      // As for offers: a link bigger than the free space is declined before a byte is written.
      const free = await incoming.freeBytes();
      if (free !== undefined && size > free) throw new DownloadError(`not enough disk space (${size} bytes linked, ${free} free)`, 'not-acceptable');
      const inc = await incoming.begin({ sid, from, name, size, sha256: link.sha256, key: sid }, method);
      emit({ event: 'accepted', sid, method, name: inc.sink.name });
      try {
        await download(link.url, inc.sink, { signal: inc.signal, stallTimeoutMs: opts.stallTimeoutMs, onProgress: (b) => inc.onProgress(b), accept: opts.acceptHost });
        inc.complete();
      } catch (err) {
        inc.fail(err as Error);
      }
      return await inc.settled;
    } catch (err) {
      const x = toXferError(err);
      emit({ event: 'declined', sid, from, name, reason: x.message });
      return x;
    }
  };
  const off = opts.links
    ? session.onStanza((el) => {
        if (el.name !== 'message' || el.attrs.type === 'error') return;
        const link = parseXOobMessage(el);
        const from = el.attrs.from ?? '';
        if (!link || !from) return;
        if (!allowed(from)) {
          emit({ event: 'declined', sid: '', from, reason: 'link from a sender that is not allowed' });
          return;
        }
        void receiveLink(from, link, 'upload');
      })
    : () => {};
  return {
    legacyOob: async (from: string, url: string) => {
      if (!allowed(from)) return new DownloadError('sender not allowed', 'not-acceptable');
      return receiveLink(from, { url }, 'oob');
    },
    uninstall: off,
  };
}
