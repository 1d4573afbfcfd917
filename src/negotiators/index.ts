// The negotiations xfer speaks, in the order `--protocol auto` tries them.
import { errors } from '../errors.js';
import { siResponder, siSender } from './si.js';
import { jingleSender } from './jingle/send.js';
import { jingleResponder } from './jingle/respond.js';
import type { RespondNegotiator, SendNegotiator } from './types.js';

export type ProtocolChoice = 'auto' | 'jingle' | 'si';

// Jingle first: it is what today's clients speak, and it hashes while sending (one read of the file).
const SENDERS: SendNegotiator[] = [jingleSender, siSender];
export const RESPONDERS: RespondNegotiator[] = [siResponder, jingleResponder];

export function sendNegotiators(choice: ProtocolChoice): SendNegotiator[] {
  return choice === 'auto' ? SENDERS : SENDERS.filter((n) => n.protocol === choice);
}

export function parseProtocol(s: string): ProtocolChoice {
  const v = s.trim().toLowerCase();
  if (v === 'auto' || v === 'jingle' || v === 'si') return v;
  throw errors.usage(`unknown protocol '${s}' (known: auto, jingle, si)`);
}
