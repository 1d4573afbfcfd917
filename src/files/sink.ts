// Where received bytes go: a temporary file inside the output directory, hashed as it is
// written, renamed to its final name only when exactly `size` bytes arrived and the offered
// hash matched. Anything else removes the temporary file: nothing lands under a final name
// unless it is complete and verified.
//
// Resume (receive --resume): a transfer that broke off keeps its bytes as
// `.xfer-resume-<id>.part`, id = sha-256(name, size, offered hash), so only an offer of the same
// file can pick it up. The prefix is re-hashed on pickup and the final hash is checked as
// always, so a stale or tampered prefix fails verification instead of landing. A part is never
// kept after an integrity failure (wrong hash, excess bytes) or without an offered hash.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, writeSync } from 'node:fs';
import path from 'node:path';
import { errors, XferError } from '../errors.js';
import { DualHash, b64ToHex, readFileInto } from './hash.js';
import { safeFileName, safeRelativePath } from './safe-name.js';
import { finishAttributes, placeFile } from './place.js';

export interface SinkOptions {
  dir: string;
  offeredName: string;
  size: number;
  md5?: string; // hex
  sha256?: string; // base64 (as on the wire)
  overwrite: boolean;
  /** keep the bytes of a broken transfer, and continue from a kept part of the same file */
  resume?: boolean;
  /** the offer allows a range (XEP-0096 <range/>), so a kept part may be continued */
  canContinue?: boolean;
  /**
   * What identifies the file for --resume when the offer carries no hash (Jingle sends its
   * checksum after the data): a continued file must then be verified by that late checksum.
   */
  resumeKey?: string;
  /** the sender's modification time (ISO 8601), given to the saved file */
  date?: string;
  /** relative path from the sender's folder (xfer extension): saved in those subfolders */
  relPath?: string;
}

export interface SinkResult {
  path: string;
  bytes: number;
  sha256: string;
  verified: 'sha-256' | 'md5' | 'none';
}

const FLUSH_BYTES = 1 << 20;


/** Temporary files currently open, so that a fatal error can still remove them (see cli.ts). */
export const openTemporaryFiles = new Set<string>();

export class FileSink {
  readonly name: string;
  private tmp = '';
  private fh?: fsp.FileHandle;
  private hash: DualHash;
  private written = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = false;
  /** bytes taken over from a kept part (the range offset to ask for) */
  resumedFrom = 0;

  /** subfolders of the output directory the file goes into (from a relative path) */
  private subdirs: string[] = [];

  constructor(private opts: SinkOptions) {
    const parts = opts.relPath ? safeRelativePath(opts.relPath) : undefined;
    if (parts) this.subdirs = parts.slice(0, -1);
    this.name = parts ? parts.join('/') : safeFileName(opts.offeredName);
    // sha-256 is always computed (it is reported); md5 only when it is all the sender gave.
    this.hash = new DualHash(!opts.sha256 && !!opts.md5);
  }

  get bytes(): number {
    return this.written;
  }

  get size(): number {
    return this.opts.size;
  }

  /** Where a broken transfer of this file keeps its bytes (undefined: not resumable). */
  get partPath(): string | undefined {
    const hash = this.opts.sha256 ?? this.opts.md5 ?? this.opts.resumeKey;
    if (!this.opts.resume || !hash) return undefined;
    const id = createHash('sha256').update(`${this.name}\0${this.opts.size}\0${hash}`).digest('hex').slice(0, 32);
    return path.join(this.opts.dir, `.xfer-resume-${id}.part`);
  }

  async open(): Promise<void> {
    this.tmp = path.join(this.opts.dir, `.xfer-${randomBytes(8).toString('hex')}.part`);
    if (await this.claimPart()) return;
    this.fh = await fsp.open(this.tmp, 'wx', 0o600);
    openTemporaryFiles.add(this.tmp);
  }

  // rename() makes the pickup atomic: two offers of the same file cannot both continue one part.
  private async claimPart(): Promise<boolean> {
    const part = this.partPath;
    if (!part || !this.opts.canContinue) return false;
    try {
      await fsp.rename(part, this.tmp);
    } catch {
      return false;
    }
    openTemporaryFiles.add(this.tmp);
    const st = await fsp.lstat(this.tmp);
    // nlink > 1: someone planted a hard link to a file elsewhere at the predictable part name;
    // appending would grow that file. Only a part we wrote (one link) is continued.
    if (!st.isFile() || st.nlink !== 1 || st.size === 0 || st.size >= this.opts.size) {
      await fsp.rm(this.tmp, { force: true });
      openTemporaryFiles.delete(this.tmp);
      return false;
    }
    await readFileInto(this.tmp, (c) => this.hash.update(c));
    this.fh = await fsp.open(this.tmp, 'a', 0o600);
    this.written = this.resumedFrom = st.size;
    return true;
  }

  /**
   * Throws (and the caller aborts) when the peer sends more than it offered. Returns a promise
   * only when the caller has to wait (the previous batch is still being written): the per-chunk
   * path allocates nothing, which at 8,000 chunks per 512 MiB shows up in GC time.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    this.admit(chunk.length);
    this.hash.update(chunk);
    this.written += chunk.length;
    // Network reads arrive in ~64 KiB pieces; one write per piece costs a thread-pool round trip
    // each, so they are batched up to 1 MiB. Double buffering: the disk takes one batch while the
    // network fills the next, and the caller waits only when the previous batch is still being
    // written (at most two batches held). Waiting for every flush left the socket unread during
    // each disk write, and the sender idle with it.
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < FLUSH_BYTES) return undefined;
    if (!this.flushBusy) {
      this.startFlush();
      return undefined;
    }
    return this.flushing.then(() => {
      if (this.writeError) throw this.writeError;
      if (this.pendingBytes >= FLUSH_BYTES) this.startFlush();
    });
  }

  /**
   * For a reader that lends its buffer only for the call (a socket read into one reused buffer,
   * see src/socks5/client.ts): hash the bytes and hand them to the kernel before returning, with
   * no copy and no allocation. It blocks the event loop for one page-cache write of at most
   * 1 MiB (~0.3 ms here); measured on 512 MiB over SOCKS5 it moves ~1.5x what write() does,
   * which allocates and garbage-collects a buffer per 64 KiB read. Not mixed with write() on
   * one sink (the batch of write() would land after these bytes).
   */
  writeNow(view: Buffer): void {
    if (this.pendingBytes) throw errors.transfer('internal: writeNow() after write()');
    this.admit(view.length);
    try {
      for (let off = 0; off < view.length; ) off += writeSync(this.fh!.fd, view, off, view.length - off);
    } catch (err) {
      throw (this.writeError = this.fileError(err));
    }
    this.hash.update(view);
    this.written += view.length;
  }

  /** Throws (and the caller aborts) after the end, after a failed write, or past the offered size. */
  private admit(length: number): void {
    if (this.done || !this.fh) throw errors.transfer('write after the transfer ended');
    if (this.writeError) throw this.writeError;
    if (this.written + length > this.opts.size) {
      throw errors.integrity(`peer sent more than the offered ${this.opts.size} bytes`);
    }
  }

  private fileError(err: any): XferError {
    const why = err?.code === 'ENOSPC' ? 'the disk is full' : err?.code === 'EFBIG' ? 'file size limit reached' : err?.code === 'EDQUOT' ? 'disk quota exceeded' : err?.message;
    return errors.file(`cannot write ${this.name} in ${this.opts.dir}: ${why}`, err);
  }

  private flushBusy = false;
  private startFlush(): void {
    this.flushBusy = true;
    this.flush().then(
      () => (this.flushBusy = false),
      () => (this.flushBusy = false), // kept in writeError, thrown by the next call
    );
  }

  // Writes go out strictly one after another (an abort may flush while a write is still in
  // the thread pool; two concurrent appends could land out of order). After a failed write
  // nothing more is written: the file would have a hole.
  private flushing: Promise<void> = Promise.resolve();
  private writeError?: Error;
  private flush(): Promise<void> {
    const next = this.flushing.then(() => this.flushNow());
    this.flushing = next.catch((err) => {
      this.writeError ??= err;
    });
    return next;
  }

  private async flushNow(): Promise<void> {
    if (this.writeError) throw this.writeError;
    if (!this.fh || this.pendingBytes === 0) return;
    const bufs = this.pending;
    const total = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      // writev: no copy into one buffer; a short write (disk nearly full) finishes the rest by hand.
      let off = (await this.fh.writev(bufs)).bytesWritten;
      if (off < total) {
        const buf = Buffer.concat(bufs, total);
        while (off < total) off += (await this.fh.write(buf, off, total - off)).bytesWritten;
      }
    } catch (err) {
      throw this.fileError(err);
    }
  }

  get complete(): boolean {
    return this.written === this.opts.size;
  }

  /**
   * Verify and place. `late` carries a hash that came after the data (Jingle's checksum
   * session-info); it counts exactly like one in the offer.
   */
  async finish(late?: { sha256?: string }): Promise<SinkResult> {
    if (this.done) throw errors.transfer('transfer already finished');
    if (late?.sha256) this.opts.sha256 = late.sha256;
    this.done = true;
    try {
      await this.flush();
      await this.fh!.close();
      this.fh = undefined;
      if (this.written !== this.opts.size) {
        throw errors.truncated(`received ${this.written} of ${this.opts.size} bytes`);
      }
      const d = this.hash.digest();
      let verified: SinkResult['verified'] = 'none';
      if (this.opts.sha256) {
        if (b64ToHex(this.opts.sha256) !== d.sha256) throw errors.integrity('sha-256 of the received bytes does not match the offer');
        verified = 'sha-256';
      } else if (this.opts.md5) {
        if (this.opts.md5.toLowerCase() !== d.md5) throw errors.integrity('md5 of the received bytes does not match the offer');
        verified = 'md5';
      } else if (this.resumedFrom > 0) {
        // The kept prefix was matched by name, size and sender only: without a hash of the whole
        // file a stale or tampered prefix would land unnoticed.
        throw errors.integrity('the file was continued from kept bytes and the sender sent no hash to verify it');
      }
      const final = await this.place();
      await finishAttributes(final, this.opts.date);
      return { path: final, bytes: this.written, sha256: d.sha256, verified };
    } catch (err) {
      await this.cleanup();
      throw err;
    }
  }

  /** Give up: remove the temporary file, or with --resume keep an incomplete one for next time. */
  async abort(reason?: unknown): Promise<void> {
    this.done = true;
    const part = this.partPath;
    const corrupt = reason instanceof XferError && reason.exit === 'integrity';
    if (part && !corrupt && this.fh && this.written + this.pendingBytes > 0) {
      try {
        await this.flush();
        await this.fh.close();
        this.fh = undefined;
        await fsp.rename(this.tmp, part);
        openTemporaryFiles.delete(this.tmp);
        this.kept = part;
        return;
      } catch {
        // fall through: remove it
      }
    }
    await this.cleanup();
  }

  /** set when abort() kept the bytes for a later resume */
  kept?: string;

  private async cleanup(): Promise<void> {
    try {
      await this.fh?.close();
    } catch {}
    this.fh = undefined;
    if (this.tmp) await fsp.rm(this.tmp, { force: true });
    openTemporaryFiles.delete(this.tmp);
  }

  private async place(): Promise<string> {
    const final = await placeFile(this.tmp, { dir: this.opts.dir, subdirs: this.subdirs, base: path.basename(this.name), overwrite: this.opts.overwrite });
    openTemporaryFiles.delete(this.tmp);
    return final;
  }
}
