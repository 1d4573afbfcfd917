// The transports xfer has, and their default order. The order is by measured throughput on
// loopback (see bench/): SOCKS5 and OOB move bytes outside the XMPP stream; IBB goes through the
// server and is the fallback that works whenever the peers can talk at all.
import { NS } from '../protocol/ns.js';
import { ibbReceiver, ibbSender } from './ibb.js';
import { s5bReceiver, s5bSender } from './s5b.js';
import { oobReceiver, oobSender } from './oob.js';
import type { MethodName, ReceiverTransport, SenderTransport } from './types.js';

export const METHOD_NS: Record<MethodName, string> = {
  s5b: NS.bytestreams,
  oob: NS.iqOob,
  ibb: NS.ibb,
};

export const DEFAULT_ORDER: MethodName[] = ['s5b', 'oob', 'ibb'];

const senders: Partial<Record<MethodName, SenderTransport>> = { s5b: s5bSender, oob: oobSender, ibb: ibbSender };
const receivers: Partial<Record<MethodName, ReceiverTransport>> = { s5b: s5bReceiver, oob: oobReceiver, ibb: ibbReceiver };

export const availableMethods = (): MethodName[] => DEFAULT_ORDER.filter((m) => senders[m] && receivers[m]);

export function senderFor(m: MethodName): SenderTransport {
  const s = senders[m];
  if (!s) throw new Error(`no sender transport for ${m}`);
  return s;
}

export function receiverFor(m: MethodName): ReceiverTransport {
  const r = receivers[m];
  if (!r) throw new Error(`no receiver transport for ${m}`);
  return r;
}

export function methodByNs(ns: string): MethodName | undefined {
  return (Object.keys(METHOD_NS) as MethodName[]).find((m) => METHOD_NS[m] === ns);
}

export function parseMethods(list: string): MethodName[] {
  const out: MethodName[] = [];
  for (const raw of list.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const m = (raw === 'socks5' ? 's5b' : raw) as MethodName;
    if (!(m in METHOD_NS)) throw new Error(`unknown method '${raw}' (known: ${Object.keys(METHOD_NS).join(', ')})`);
    if (!senders[m]) throw new Error(`method '${raw}' is not available in this build`);
    if (!out.includes(m)) out.push(m);
  }
  return out;
}
