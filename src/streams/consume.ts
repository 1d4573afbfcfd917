// Reading a byte stream into a FileSink with 'data' events: a paused stream while the sink is
// busy, and no promise per chunk (for await allocates one per chunk, ~8,000 per 512 MiB).
import type { Readable } from 'node:stream';

/**
 * Feed `stream` to `write` until `enough()` or the stream ends. `write` throws or rejects to stop
 * with an error; it returns a promise only when the stream must pause until it settles.
 */
export function consume(stream: Readable, write: (chunk: Buffer) => Promise<void> | undefined, enough: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let over = false;
    const finish = (err?: unknown) => {
      if (over) return;
      over = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', finish);
      if (err) reject(err);
      else resolve();
    };
    const onEnd = () => finish();
    const onData = (chunk: Buffer) => {
      let wait: Promise<void> | undefined;
      try {
        wait = write(chunk);
      } catch (err) {
        return finish(err);
      }
      if (!wait) {
        if (enough()) finish();
        return;
      }
      stream.pause();
      wait.then(() => {
        if (enough()) finish();
        else if (!over) stream.resume();
      }, finish);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', finish);
    stream.resume(); // a 'data' listener does not restart a stream paused on purpose (connectStreamhost hands sockets over paused)
  });
}
