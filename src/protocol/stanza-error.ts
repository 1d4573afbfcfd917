// RFC 6120 §8.3 stanza errors: build them, and read them back into a typed value
// (the xmpp.js `StanzaError.fromElement` idea, without its class hierarchy).
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export type ErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

export interface StanzaErrorInfo {
  type: string;
  condition: string;
  text?: string;
  /** application-specific condition, e.g. si's <no-valid-streams/> */
  app?: { name: string; xmlns: string };
}

export function buildError(type: ErrorType, condition: string, opts: { text?: string; app?: Element; code?: number } = {}): Element {
  return xml(
    'error',
    { type, code: opts.code },
    xml(condition, { xmlns: NS.stanzas }),
    opts.text ? xml('text', { xmlns: NS.stanzas }, opts.text) : null,
    opts.app ?? null,
  );
}

export function parseError(stanza: Element): StanzaErrorInfo | undefined {
  const error = stanza.is('error') ? stanza : stanza.getChild('error');
  if (!error) return undefined;
  let condition = 'undefined-condition';
  let text: string | undefined;
  let app: StanzaErrorInfo['app'];
  for (const child of error.getChildElements()) {
    const ns = child.attrs.xmlns;
    if (ns === NS.stanzas) {
      if (child.name === 'text') text = child.text();
      else condition = child.name;
    } else if (ns) {
      app = { name: child.name, xmlns: ns };
    }
  }
  return { type: error.attrs.type ?? 'cancel', condition, text, app };
}

export class StanzaError extends Error {
  readonly info: StanzaErrorInfo;
  constructor(info: StanzaErrorInfo) {
    super(`${info.condition}${info.app ? `/${info.app.name}` : ''}${info.text ? `: ${info.text}` : ''}`);
    this.info = info;
    this.name = 'StanzaError';
  }
  static fromElement(stanza: Element): StanzaError {
    return new StanzaError(parseError(stanza) ?? { type: 'cancel', condition: 'undefined-condition' });
  }
  get condition(): string {
    return this.info.condition;
  }
}
