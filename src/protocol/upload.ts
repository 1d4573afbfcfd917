// XEP-0363 HTTP File Upload (v1.1.0): slot request and slot. Pure build/parse.
//
//   <request xmlns='urn:xmpp:http:upload:0' filename=… size=… content-type=…/>
//   <slot xmlns='urn:xmpp:http:upload:0'><put url=…><header name=…>…</header></put><get url=…/></slot>
import xml, { type Element } from '@xmpp/xml';
import { NS } from './ns.js';

export interface Slot {
  put: string;
  get: string;
  headers: Record<string, string>;
}

// §4: only these may be copied from the slot into the PUT request.
const ALLOWED_HEADERS = new Set(['authorization', 'cookie', 'expires']);

export function buildSlotRequest(filename: string, size: number, contentType = 'application/octet-stream'): Element {
  return xml('request', { xmlns: NS.upload, filename, size, 'content-type': contentType });
}

export function parseSlot(slot: Element | undefined): Slot | undefined {
  const put = slot?.getChild('put');
  const get = slot?.getChild('get');
  if (!put?.attrs.url || !get?.attrs.url) return undefined;
  const headers: Record<string, string> = {};
  for (const h of put.getChildren('header')) {
    const name = (h.attrs.name ?? '').toLowerCase();
    if (ALLOWED_HEADERS.has(name)) headers[name] = h.text().replace(/[\r\n]/g, '');
  }
  return { put: put.attrs.url, get: get.attrs.url, headers };
}
