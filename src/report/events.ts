// What commands tell the outside world. Commands emit these; the human reporter and the
// --json reporter are two renderings of the same stream. The README documents this schema.

/** which negotiation moved the file: XEP-0095/0096 stream initiation or XEP-0166/0234 Jingle */
export type Protocol = 'si' | 'jingle';

export type XferEvent =
  | { event: 'connected'; jid: string; server?: string }
  | { event: 'listening'; jid: string; features: string[] }
  | { event: 'reconnecting'; in: number; reason: string }
  | { event: 'peer'; jid: string }
  | { event: 'hashing'; file: string; bytes: number; total: number }
  | { event: 'offer'; file: string; name: string; size: number; to: string; sid: string; methods: string[]; protocol?: Protocol }
  | { event: 'offer-received'; from: string; name: string; size: number; sid: string; methods: string[]; protocol?: Protocol }
  | { event: 'accepted'; sid: string; method: string; name?: string; offset?: number; protocol?: Protocol }
  | { event: 'declined'; sid: string; from?: string; name?: string; reason: string }
  | { event: 'method-tried'; sid: string; method: string }
  | { event: 'method-failed'; sid: string; method: string; code: string; reason: string }
  | { event: 'progress'; sid: string; method: string; bytes: number; total: number; rate: number }
  /** Once per transport run that will take over a minute more (transfer/slow.ts); eta -1: unknown. */
  | { event: 'slow'; sid: string; method: string; rate: number; eta: number; advice: string }
  | {
      event: 'done';
      direction: 'sent' | 'received';
      sid: string;
      method: string;
      protocol?: Protocol;
      name: string;
      bytes: number;
      seconds: number;
      sha256: string;
      file?: string;
      path?: string;
      peer: string;
      verified?: string;
    }
  | { event: 'file-failed'; direction: 'sent' | 'received'; sid?: string; name: string; code: string; reason: string; /** bytes kept for --resume */ kept?: number }
  | { event: 'error'; code: string; message: string; exit: number };

export type Emit = (e: XferEvent) => void;

/** Progress events at most every `intervalMs`, plus always the final one. */
export function throttledProgress(emit: Emit, sid: string, method: string, total: number, intervalMs = 200) {
  const start = Date.now();
  let last = 0;
  return (bytes: number, force = false) => {
    const now = Date.now();
    if (!force && now - last < intervalMs && bytes < total) return;
    last = now;
    const secs = Math.max((now - start) / 1000, 1e-3);
    emit({ event: 'progress', sid, method, bytes, total, rate: Math.round(bytes / secs) });
  };
}
