// In-band data crawling through a rate-limited server is the one slow path a user cannot see the
// reason for: Prosody as Debian ships it lets a client send 10 kB/s (IBB's base64 makes that
// ~7.5 kB/s of file), ejabberd's default shaper 3000 B/s. After SLOW_AFTER_MS of data, if the rest
// would take longer than SLOW_ETA_S, the sender says once how long and what would not be limited.

export const SLOW_AFTER_MS = 5000;
export const SLOW_ETA_S = 60;

export interface SlowNotice { rate: number; eta: number; advice: string }

const ADVICE: Record<string, string> = {
  ibb:
    'in-band data is relayed by the server, which limits it here (stock Prosody and ejabberd do); ' +
    'SOCKS5 (--methods s5b, with a --direct-host the peer can reach or the server\'s --proxy) or ' +
    '--method upload (the peer downloads over HTTP) do not go through that limit',
};

/** A notice when this transport run will take long enough to matter, else undefined. */
export function slowNotice(method: string, elapsedMs: number, done: number, left: number): SlowNotice | undefined {
  const advice = ADVICE[method];
  if (!advice || elapsedMs < SLOW_AFTER_MS || left <= 0) return undefined;
  const rate = done / (elapsedMs / 1000);
  const eta = rate > 0 ? left / rate : Infinity;
  if (eta <= SLOW_ETA_S) return undefined;
  return { rate: Math.round(rate), eta: Number.isFinite(eta) ? Math.round(eta) : -1, advice };
}
