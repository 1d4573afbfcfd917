// `xfer probe JID`: what file-transfer features a peer advertises (disco#info), and with
// --transfer, a small generated payload sent by each method in turn, each result kept apart, so
// that a CI job can see which methods interoperate.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toXferError } from '../errors.js';
import { receiverInfo, resolvePeer, serveDisco, presence } from '../negotiation/discovery.js';
import { NS } from '../protocol/ns.js';
import type { Emit, XferEvent } from '../report/events.js';
import { METHOD_NS } from '../transports/index.js';
import type { MethodName, TransportOptions } from '../transports/types.js';
import { connect, type SessionOptions } from '../xmpp/session.js';
import { send } from './send.js';

export const PROBED_FEATURES: Record<string, string> = {
  'si': NS.si,
  'si-file-transfer': NS.siFile,
  's5b': NS.bytestreams,
  'ibb': NS.ibb,
  'oob': NS.iqOob,
  'jingle': NS.jingle,
  'jingle-ft-5': NS.jingleFt,
  'jingle-s5b': NS.jingleS5b,
  'jingle-ibb': NS.jingleIbb,
  'caps': NS.caps,
};

export interface ProbeResult {
  peer: string;
  features: Record<string, boolean>;
  /** one cell per negotiation and transport: s5b, oob, ibb (SI) and jingle-s5b, jingle-ibb */
  transfers: Array<{ method: string; status: 'pass' | 'fail' | 'skipped'; seconds: number; bytes: number; code?: string; reason?: string }>;
}

export async function probe(opts: {
  connection: SessionOptions;
  to: string;
  transfer: boolean;
  methods: MethodName[];
  size: number;
  peerTimeoutMs: number;
  transport: TransportOptions;
  emit: Emit;
  signal: AbortSignal;
}): Promise<ProbeResult> {
  const session = await connect(opts.connection);
  let peer;
  try {
    opts.emit({ event: 'connected', jid: session.jid, server: session.endpoint });
    const info = receiverInfo([]);
    serveDisco(session, info);
    await session.send(presence(info, undefined, -1));
    // Any peer that answers disco is worth a table, whatever it speaks.
    peer = await resolvePeer(session, opts.to, info, opts.peerTimeoutMs, () => true);
    opts.emit({ event: 'peer', jid: peer.jid });
  } finally {
    await session.close();
  }
  const features = Object.fromEntries(Object.entries(PROBED_FEATURES).map(([k, ns]) => [k, peer.features.includes(ns)]));
  const result: ProbeResult = { peer: peer.jid, features, transfers: [] };
  if (!opts.transfer) return result;

  const dir = mkdtempSync(path.join(tmpdir(), 'xfer-probe-'));
  try {
    const file = path.join(dir, `xfer-probe-${randomBytes(4).toString('hex')}.bin`);
    writeFileSync(file, randomBytes(opts.size));
    const si = peer.features.includes(NS.si) && peer.features.includes(NS.siFile);
    const jingle = peer.features.includes(NS.jingle) && peer.features.includes(NS.jingleFt);
    const cells: Array<{ label: string; method: MethodName; protocol: 'si' | 'jingle'; advertised: boolean }> = [
      ...opts.methods.map((m) => ({ label: m, method: m, protocol: 'si' as const, advertised: si && peer.features.includes(METHOD_NS[m]) })),
      ...opts.methods.filter((m) => m !== 'oob').map((m) => ({ label: `jingle-${m}`, method: m, protocol: 'jingle' as const, advertised: jingle && peer.features.includes(m === 's5b' ? NS.jingleS5b : NS.jingleIbb) })),
    ];
    for (const { label, method, protocol, advertised } of cells) {
      if (!advertised) {
        result.transfers.push({ method: label, status: 'skipped', seconds: 0, bytes: 0, reason: 'not advertised by the peer' });
        continue;
      }
      const t0 = Date.now();
      let done: Extract<XferEvent, { event: 'done' }> | undefined;
      try {
        const r = await send({
          connection: opts.connection,
          files: [file],
          to: peer.jid,
          methods: [method],
          protocol,
          offerTimeoutMs: 30000,
          peerTimeoutMs: opts.peerTimeoutMs,
          transport: opts.transport,
          emit: (e) => {
            if (e.event === 'done') done = e;
            if (e.event !== 'connected' && e.event !== 'peer') opts.emit(e);
          },
          signal: opts.signal,
        });
        if (r.error) throw r.error;
        result.transfers.push({ method: label, status: 'pass', seconds: (Date.now() - t0) / 1000, bytes: done?.bytes ?? opts.size });
      } catch (e) {
        if (opts.signal.aborted) throw e;
        const err = toXferError(e);
        result.transfers.push({ method: label, status: 'fail', seconds: (Date.now() - t0) / 1000, bytes: 0, code: err.code, reason: err.message });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

export function probeJunit(r: ProbeResult): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const failures = r.transfers.filter((t) => t.status === 'fail').length;
  const skipped = r.transfers.filter((t) => t.status === 'skipped').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="xfer probe ${esc(r.peer)}" tests="${r.transfers.length}" failures="${failures}" skipped="${skipped}">`,
    ...r.transfers.map(
      (t) =>
        `  <testcase classname="xfer.probe" name="${t.method}" time="${t.seconds}">` +
        (t.status === 'fail' ? `<failure message="${esc(`${t.code}: ${t.reason}`)}"/>` : t.status === 'skipped' ? `<skipped message="${esc(t.reason ?? '')}"/>` : '') +
        '</testcase>',
    ),
    '</testsuite>',
    '',
  ].join('\n');
}

export function probeTable(r: ProbeResult): string {
  const lines = [`peer ${r.peer}`, '', 'feature            advertised'];
  for (const [k, v] of Object.entries(r.features)) lines.push(`${k.padEnd(18)} ${v ? 'yes' : 'no'}`);
  if (r.transfers.length) {
    lines.push('', 'method      result   seconds  note');
    for (const t of r.transfers) lines.push(`${t.method.padEnd(11)} ${t.status.padEnd(8)} ${t.seconds.toFixed(2).padStart(7)}  ${t.reason ?? ''}`);
  }
  return lines.join('\n');
}
