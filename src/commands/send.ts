// `xfer send FILE... JID`: check the files, log in, find a resource of the peer that speaks a
// negotiation we have, and hand each file to the send driver (transfer/outgoing.ts).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errors, toXferError, XferError } from '../errors.js';
import { receiverInfo, resolvePeer, serveDisco, presence } from '../negotiation/discovery.js';
import { sendNegotiators, type ProtocolChoice } from '../negotiators/index.js';
import type { Emit } from '../report/events.js';
import { sendFile, usableNegotiators } from '../transfer/outgoing.js';
import type { PreparedFile } from '../negotiators/types.js';
import type { MethodName, TransportOptions } from '../transports/types.js';
import { connect, type SessionOptions } from '../xmpp/session.js';

export interface SendOptions {
  connection: SessionOptions;
  files: string[];
  to: string;
  methods: MethodName[];
  /** auto: Jingle when the peer speaks it, else SI (and SI after a failed Jingle session) */
  protocol: ProtocolChoice;
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


/** Every file must be a readable regular file; checked before anything touches the network. */
export async function prepareFiles(files: string[]): Promise<PreparedFile[]> {
  const prepared: PreparedFile[] = [];
  for (const file of files) {
    let st;
    try {
      st = await fsp.stat(file);
    } catch (err: any) {
      throw errors.file(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, err);
    }
    if (!st.isFile()) throw errors.file(`${file} is not a regular file`);
    prepared.push({ file, name: path.basename(file), size: st.size, mtime: st.mtime });
  }
  return prepared;
}

export async function send(opts: SendOptions): Promise<SendResult> {
  const { emit } = opts;
  // Check every file before logging in: a typo should not cost a connection.
  const prepared = await prepareFiles(opts.files);

  const session = await connect(opts.connection);
  const abortOnClose = new AbortController();
  session.onClose((err) => abortOnClose.abort(err));
  const signal = AbortSignal.any([opts.signal, abortOnClose.signal]);
  try {
    emit({ event: 'connected', jid: session.jid });
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
