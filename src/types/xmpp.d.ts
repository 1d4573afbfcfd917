// Minimal typings for the xmpp.js 0.14 pieces xfer composes (the packages ship none).
declare module '@xmpp/xml' {
  export class Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    parent: Element | null;
    constructor(name: string, attrs?: Record<string, string | number | undefined>);
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getChildByAttr(attr: string, val: string, xmlns?: string, recursive?: boolean): Element | undefined;
    text(): string;
    c(name: string, attrs?: Record<string, string | number | undefined>): Element;
    t(text: string): Element;
    up(): Element;
    append(...nodes: Array<Element | string>): Element;
    toString(): string;
    root(): Element;
  }
  type Child = Element | string | number | null | undefined | false | Child[];
  function xml(name: string, attrs?: Record<string, string | number | undefined> | null, ...children: Child[]): Element;
  namespace xml { export { Element }; }
  export const Parser: any;
  export default xml;
}
declare module '@xmpp/xml/lib/parse.js' {
  import { Element } from '@xmpp/xml';
  export default function parse(s: string): Element;
}
declare module '@xmpp/jid' {
  export class JID {
    local: string; domain: string; resource: string;
    bare(): JID;
    toString(): string;
    equals(other: JID): boolean;
    getLocal(): string; getDomain(): string; getResource(): string;
  }
  function jid(s: string): JID;
  function jid(local: string, domain: string, resource?: string): JID;
  namespace jid { export { JID }; export function equal(a: JID, b: JID): boolean; }
  export default jid;
}
declare module '@xmpp/client-core' { export const Client: any; export const xml: any; export const jid: any; }
declare module '@xmpp/tcp/lib/Connection.js' { const f: any; export default f; }
declare module '@xmpp/tls/lib/Connection.js' { const f: any; export default f; }
declare module '@xmpp/middleware' { const f: any; export default f; }
declare module '@xmpp/stream-features' { const f: any; export default f; }
declare module '@xmpp/iq/caller.js' { const f: any; export default f; }
declare module '@xmpp/iq/callee.js' { const f: any; export default f; }
declare module '@xmpp/sasl' { const f: any; export default f; }
declare module '@xmpp/resource-binding' { const f: any; export default f; }
declare module '@xmpp/tls/lib/Socket.js' { const f: any; export default f; }
declare module '@xmpp/events' { export function promise(target: any, event: string, reject?: string, timeout?: number): Promise<any>; }
declare module 'saslmechanisms' { const f: any; export default f; }
declare module 'sasl-plain' { const f: any; export default f; }
