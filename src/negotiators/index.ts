// The negotiations xfer speaks, in the order `--protocol auto` tries them.
import { errors } from '../errors.js';
import { siResponder, siSender } from './si.js';
import type { RespondNegotiator, SendNegotiator } from './types.js';

export type ProtocolChoice = 'auto' | 'jingle' | 'si';

const SENDERS: SendNegotiator[] = [siSender];
export const RESPONDERS: RespondNegotiator[] = [siResponder];

export function sendNegotiators(choice: ProtocolChoice): SendNegotiator[] {
  return choice === 'auto' ? SENDERS : SENDERS.filter((n) => n.protocol === choice);
}

export function parseProtocol(s: string): ProtocolChoice {
  const v = s.trim().toLowerCase();
  if (v === 'auto' || v === 'jingle' || v === 'si') return v;
  throw errors.usage(`unknown protocol '${s}' (known: auto, jingle, si)`);
}
