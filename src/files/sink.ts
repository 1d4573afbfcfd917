// Where received bytes go: a temporary file inside the output directory, hashed as it is
// written, renamed to its final name only when exactly `size` bytes arrived and the offered
// hash matched. Anything else removes the temporary file: nothing lands under a final name
// unless it is complete and verified.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errors, XferError } from '../errors.js';
import { DualHash, b64ToHex } from './hash.js';
import { numbered, safeFileName } from './safe-name.js';

export interface SinkOptions {
  dir: string;
  offeredName: string;
  size: number;
  md5?: string; // hex
  sha256?: string; // base64 (as on the wire)
  overwrite: boolean;
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

  constructor(private opts: SinkOptions) {
    this.name = safeFileName(opts.offeredName);
    // sha-256 is always computed (it is reported); md5 only when it is all the sender gave.
    this.hash = new DualHash(!opts.sha256 && !!opts.md5);
  }

  get bytes(): number {
    return this.written;
  }

  get size(): number {
    return this.opts.size;
  }

  async open(): Promise<void> {
    this.tmp = path.join(this.opts.dir, `.xfer-${randomBytes(8).toString('hex')}.part`);
    this.fh = await fsp.open(this.tmp, 'wx', 0o600);
    openTemporaryFiles.add(this.tmp);
  }

  /** Rejects (and the caller aborts) when the peer sends more than it offered. */
  async write(chunk: Buffer): Promise<void> {
    if (this.done || !this.fh) throw errors.transfer('write after the transfer ended');
    if (this.written + chunk.length > this.opts.size) {
      throw errors.integrity(`peer sent more than the offered ${this.opts.size} bytes`);
    }
    this.hash.update(chunk);
    this.written += chunk.length;
    // Network reads arrive in ~64 KiB pieces; one write per piece costs a thread-pool round trip
    // each. Batch up to 1 MiB (memory stays bounded: the caller waits for the flush).
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.fh || this.pendingBytes === 0) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
  }

  get complete(): boolean {
    return this.written === this.opts.size;
  }

  async finish(): Promise<SinkResult> {
    if (this.done) throw errors.transfer('transfer already finished');
    this.done = true;
    try {
      await this.flush();
      await this.fh!.close();
      this.fh = undefined;
      if (this.written !== this.opts.size) {
        throw errors.integrity(`received ${this.written} of ${this.opts.size} bytes`);
      }
      const d = this.hash.digest();
      let verified: SinkResult['verified'] = 'none';
      if (this.opts.sha256) {
        if (b64ToHex(this.opts.sha256) !== d.sha256) throw errors.integrity('sha-256 of the received bytes does not match the offer');
        verified = 'sha-256';
      } else if (this.opts.md5) {
        if (this.opts.md5.toLowerCase() !== d.md5) throw errors.integrity('md5 of the received bytes does not match the offer');
        verified = 'md5';
      }
      const final = await this.place();
      return { path: final, bytes: this.written, sha256: d.sha256, verified };
    } catch (err) {
      await this.cleanup();
      throw err;
    }
  }

  async abort(): Promise<void> {
    this.done = true;
    await this.cleanup();
  }

  private async cleanup(): Promise<void> {
    try {
      await this.fh?.close();
    } catch {}
    this.fh = undefined;
    if (this.tmp) await fsp.rm(this.tmp, { force: true });
    openTemporaryFiles.delete(this.tmp);
  }

  // link() fails with EEXIST instead of replacing, so two receivers (or a file created meanwhile)
  // can never be clobbered without --overwrite.
  private async place(): Promise<string> {
    if (this.opts.overwrite) {
      const target = path.join(this.opts.dir, this.name);
      await fsp.rename(this.tmp, target);
      openTemporaryFiles.delete(this.tmp);
      return target;
    }
    for (let n = 0; n < 10000; n++) {
      const target = path.join(this.opts.dir, n === 0 ? this.name : numbered(this.name, n));
      try {
        await fsp.link(this.tmp, target);
        await fsp.rm(this.tmp, { force: true });
        openTemporaryFiles.delete(this.tmp);
        return target;
      } catch (err: any) {
        if (err?.code !== 'EEXIST') throw err instanceof XferError ? err : errors.file(`cannot save ${target}: ${err.message}`, err);
      }
    }
    throw errors.file('no free file name');
  }
}
