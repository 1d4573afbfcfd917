// `xfer send FILE... JID`: check the files, log in, find a resource of the peer that speaks a
// negotiation we have, and hand each file to the send driver (transfer/outgoing.ts).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errors, toXferError, XferError } from '../errors.js';
import { receiverInfo, resolvePeer, serveDisco, presence } from '../negotiation/discovery.js';
import { proxyStreamhosts } from '../negotiation/proxies.js';
import { sendNegotiators, type ProtocolChoice } from '../negotiators/index.js';
import type { Emit } from '../report/events.js';
import { sendFile, usableNegotiators } from '../transfer/outgoing.js';
import type { PreparedFile } from '../negotiators/types.js';
import type { MethodName, TransportOptions } from '../transports/types.js';
import { connect, splitJid, type SessionOptions } from '../xmpp/session.js';

export interface SendOptions {
  connection: SessionOptions;
  files: string[];
  to: string;
  methods: MethodName[];
  /** auto: Jingle when the peer speaks it, else SI (and SI after a failed Jingle session) */
  protocol: ProtocolChoice;
  /** already checked and expanded (prepareFiles, or standard input spooled to a file) */
  prepared?: PreparedFile[];
  desc?: string;
  offerTimeoutMs: number;
  peerTimeoutMs: number;
  transport: TransportOptions;
  emit: Emit;
  signal: AbortSignal;
}

export interface SendResult {
  sent: number;
  failed: number;
  error?: XferError; // the first failure, which decides the exit code
}


/**
 * What `send` will offer, checked before anything touches the network: every argument is a
 * readable regular file or a folder, whose regular files are each offered with their relative
 * path (symlinks inside it are not followed, so nothing outside the folder goes).
 */
export async function prepareFiles(files: string[]): Promise<PreparedFile[]> {
  const prepared: PreparedFile[] = [];
  for (const file of files) {
    let st;
    try {
      st = await fsp.stat(file);
    } catch (err: any) {
      throw errors.file(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, err);
    }
    if (st.isDirectory()) prepared.push(...(await walk(file)));
    else if (st.isFile()) prepared.push({ file, name: path.basename(file), size: st.size, mtime: st.mtime });
    else throw errors.file(`${file} is not a regular file or a folder`);
  }
  return prepared;
}

async function walk(root: string): Promise<PreparedFile[]> {
  const out: PreparedFile[] = [];
  const visit = async (dir: string, rel: string[]) => {
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch((err) => {
      throw errors.file(`cannot read folder ${dir}: ${err.message}`, err);
    });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await visit(full, [...rel, e.name]);
      else if (e.isFile()) {
        const st = await fsp.stat(full);
        const parts = [...rel, e.name];
        // Third-party receivers keep only a name: the flattened path still says where it came from.
        out.push({ file: full, name: parts.join('_'), path: parts.join('/'), size: st.size, mtime: st.mtime });
      }
    }
  };
  await visit(root, [path.basename(path.resolve(root))]);
  if (out.length === 0) throw errors.file(`${root} has no regular files to send`);
  return out;
}

export async function send(opts: SendOptions): Promise<SendResult> {
  const { emit } = opts;
  splitJid(opts.to); // a malformed peer JID is a usage error before anything else
  // Check every file before logging in: a typo should not cost a connection.
  const prepared = opts.prepared ?? (await prepareFiles(opts.files));

  const session = await connect(opts.connection);
  const abortOnClose = new AbortController();
  session.onClose((err) => abortOnClose.abort(err));
  const signal = AbortSignal.any([opts.signal, abortOnClose.signal]);
  try {
    emit({ event: 'connected', jid: session.jid, server: session.endpoint });
    // SOCKS5 offers carry our server's proxies: ask for them now, beside the peer lookup.
    const t = opts.transport;
    if (opts.methods.includes('s5b') && (t.proxies.length || t.proxyDiscovery)) void proxyStreamhosts(session, t.proxies, t.proxyDiscovery);
    const info = receiverInfo([]);
    serveDisco(session, info);
    await session.send(presence(info, undefined, -1));
    const negotiators = sendNegotiators(opts.protocol);
    const peer = await resolvePeer(session, opts.to, info, opts.peerTimeoutMs, (f) => usableNegotiators(negotiators, f, opts.methods).length > 0);
    emit({ event: 'peer', jid: peer.jid });
    // The receiver's server says when it goes away (it answered our directed presence): stop at
    // once rather than after a transport timeout.
    const peerGone = new AbortController();
    session.onStanza((el) => {
      if (el.name === 'presence' && el.attrs.type === 'unavailable' && (el.attrs.from ?? '').toLowerCase() === peer.jid.toLowerCase()) {
        // After the stanzas already received are handled: an answer that came just before this
        // presence (say, the last ack) must still count.
        setImmediate(() => peerGone.abort(errors.peerOffline(`${peer.jid} went offline`)));
      }
    });
    const fileSignal = AbortSignal.any([signal, peerGone.signal]);
    const result: SendResult = { sent: 0, failed: 0 };
    for (const p of prepared) {
      if (signal.aborted) throw signal.reason;
      try {
        await sendFile(session, peer.jid, peer.features, p, { methods: opts.methods, negotiators, desc: opts.desc, offerTimeoutMs: opts.offerTimeoutMs, transport: opts.transport, emit }, fileSignal);
        result.sent++;
      } catch (e) {
        const err = toXferError(e);
        if (signal.aborted) throw toXferError(signal.reason);
        result.failed++;
        result.error ??= err;
        emit({ event: 'file-failed', direction: 'sent', name: p.name, code: err.code, reason: err.message });
        // A peer that went away will not take the next file either.
        if (err.code === 'EPEEROFFLINE') break;
      }
    }
    return result;
  } finally {
    await session.close();
  }
}
