// The one way xfer bounds a wait: by an AbortSignal (abortable) or by a deadline (withTimeout).
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let off = () => {};
  const aborted = new Promise<never>((_, rej) => {
    const f = () => rej(signal.reason);
    signal.addEventListener('abort', f, { once: true });
    off = () => signal.removeEventListener('abort', f);
  });
  return Promise.race([p, aborted]).finally(off);
}

export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(onTimeout()), ms)))]).finally(() => clearTimeout(t));
}
