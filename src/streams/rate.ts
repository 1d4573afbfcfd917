// --limit-rate: cap the sender's average rate (bytes per second), the way curl --limit-rate and
// rsync --bwlimit do, so a transfer can share a thin link. One limiter per transfer, shared by
// whatever moves the bytes (the file pump for SOCKS5 and the HTTP server, IBB blocks).
import { setTimeout as sleep } from 'node:timers/promises';

export class RateLimiter {
  private start = 0;
  private taken = 0;

  constructor(readonly bytesPerSecond: number) {}

  /** Resolves when `n` more bytes may go out without exceeding the average rate. */
  async take(n: number, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    if (this.start === 0) this.start = now;
    this.taken += n;
    // The bytes taken so far may leave at start + taken/rate; wait for the time the *previous*
    // bytes needed, so the first chunk goes at once and the average converges to the rate.
    const due = this.start + ((this.taken - n) * 1000) / this.bytesPerSecond;
    if (due > now) await sleep(due - now, undefined, { signal });
  }
}

/** "500K", "2M", "1.5m", "65536" → bytes per second (K = 1024). */
export function parseRate(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1 << 20, g: 1 << 30 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Math.floor(Number(m[1]) * mult);
  return n >= 1 ? n : undefined;
}
