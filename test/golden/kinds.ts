// Parsers for golden kinds added by later transports (SOCKS5, OOB) register here.
export const parsers: Record<string, { parse: (el: any) => unknown; build?: (v: any) => any }> = {};
