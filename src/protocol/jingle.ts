// XEP-0166 Jingle (v1.1.2): the session envelope, one content per session (as every file-transfer
// client does), and the <reason/> of a session-terminate. Pure build/parse.
//
//   <jingle xmlns='urn:xmpp:jingle:1' action=ACTION sid=SID initiator=JID? responder=JID?>
//     <content creator='initiator' name=NAME senders='initiator'>
//       <description xmlns=APP>…</description>?  <transport xmlns=TRANSPORT>…</transport>?
//       <security xmlns=…/>?                       (XEP-0391 JET: refused by xfer)
//     </content>?
//     <reason><CONDITION/><text>…</text>?</reason>?   |   <checksum/>, <received/> (session-info)
//   </jingle>
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export const ACTIONS = [
  'session-initiate', 'session-accept', 'session-info', 'session-terminate',
  'transport-info', 'transport-replace', 'transport-accept', 'transport-reject',
  'content-add', 'content-accept', 'content-modify', 'content-reject', 'content-remove',
  'description-info', 'security-info',
] as const;
export type JingleAction = (typeof ACTIONS)[number];

export const REASONS = [
  'success', 'decline', 'cancel', 'busy', 'expired', 'failed-transport', 'failed-application', 'gone',
  'general-error', 'incompatible-parameters', 'media-error', 'security-error', 'timeout',
  'unsupported-applications', 'unsupported-transports', 'connectivity-error', 'alternative-session',
] as const;
export type Reason = (typeof REASONS)[number];

export interface Content {
  creator: string;
  name: string;
  senders?: string;
  description?: Element;
  transport?: Element;
  security?: Element;
}

export interface Jingle {
  action: JingleAction;
  sid: string;
  initiator?: string;
  responder?: string;
  content?: Content;
  /** extra children of session-info (checksum, received, …) */
  info: Element[];
  reason?: { condition: string; text?: string };
}

export function buildJingle(j: Omit<Jingle, 'info'> & { info?: Element[] }): Element {
  const c = j.content;
  return xml(
    'jingle',
    { xmlns: NS.jingle, action: j.action, sid: j.sid, initiator: j.initiator, responder: j.responder },
    c ? xml('content', { creator: c.creator, name: c.name, senders: c.senders }, c.description ?? null, c.transport ?? null, c.security ?? null) : null,
    j.reason ? xml('reason', {}, xml(j.reason.condition), j.reason.text ? xml('text', {}, j.reason.text) : null) : null,
    ...(j.info ?? []),
  );
}

/** Strict: unknown action, missing sid or more than one content → undefined (bad-request). */
export function parseJingle(el: Element): Jingle | undefined {
  const action = el.attrs.action as JingleAction;
  const sid = el.attrs.sid;
  if (!sid || !ACTIONS.includes(action)) return undefined;
  const contents = el.getChildren('content');
  if (contents.length > 1) return undefined;
  let content: Content | undefined;
  if (contents[0]) {
    const c = contents[0];
    if (!c.attrs.name || !c.attrs.creator) return undefined;
    content = {
      creator: c.attrs.creator,
      name: c.attrs.name,
      senders: c.attrs.senders,
      description: c.getChild('description'),
      transport: c.getChild('transport'),
      security: c.getChild('security'),
    };
  }
  const r = el.getChild('reason');
  const cond = r?.getChildElements().find((e) => e.name !== 'text');
  const info = el.getChildElements().filter((e) => e.name !== 'content' && e.name !== 'reason');
  return {
    action,
    sid,
    initiator: el.attrs.initiator,
    responder: el.attrs.responder,
    content,
    info,
    reason: r ? { condition: cond?.name ?? 'general-error', text: r.getChildText('text') ?? undefined } : undefined,
  };
}

/** The Jingle-specific error condition that goes beside the stanza error (§10). */
export function jingleError(condition: 'unknown-session' | 'out-of-order' | 'tie-break' | 'unsupported-info'): Element {
  return xml(condition, { xmlns: NS.jingleErrors });
}
