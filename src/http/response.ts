// A strict HTTP/1.1 response reader (RFC 9112) for downloads: fed socket bytes as they come
// (views of one reused buffer are fine: nothing is kept past the call), it hands body bytes
// straight through, so the receiver copies each byte once, from the kernel into its buffer.
// node:http allocated a fresh Buffer per 64 KiB read instead (external memory V8 collects late:
// ~40 MiB of a download's peak RSS) and cost a third of OOB's throughput.
//
//   HTTP/1.1 200 OK\r\n                       status line   (<= 8 KiB, HTTP/1.x, 3 digits)
//   Content-Length: 10\r\n                    header lines  (<= 64 of them, <= 16 KiB in all;
//   \r\n                                                     no obs-fold, no CR/LF/NUL in values)
//   0123456789                                body          Content-Length, chunked, or to close
//
//   chunked:  1a;ext=x\r\n <26 bytes>\r\n ... 0\r\n \r\n   (size in hex, <= 15 digits; no trailers)
//
// Refused as ambiguous: Content-Length and Transfer-Encoding together, differing or malformed
// Content-Length, any transfer coding but chunked. Interim 1xx responses are skipped.

export class HttpParseError extends Error {}

export interface Head { status: number; headers: Map<string, string> }

export interface ResponseHandlers {
  /** Called once, before any body byte. Returning false ends parsing (e.g. a redirect). */
  onHead(head: Head): boolean | void;
  /** Body bytes: a view valid only during the call. */
  onBody(view: Buffer): void;
  onEnd(): void;
}

const STATUS = 0;
const HEADERS = 1;
const BODY = 2; // Content-Length
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_END = 5; // the CRLF after a chunk's data
const TRAILER = 6; // after the last chunk: only the final CRLF may come
const TO_CLOSE = 7;
const DONE = 8;

export const LIMITS = { statusLine: 8192, headerBytes: 16384, headerCount: 64, chunkLine: 1024 };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;

export class ResponseReader {
  private state = STATUS;
  private line = ''; // the line being collected (status, header, chunk size), latin1
  private headerBytes = 0;
  private head?: Head;
  private left = 0; // body or chunk bytes still expected

  constructor(private readonly h: ResponseHandlers) {}

  get done(): boolean {
    return this.state === DONE;
  }

  /** The connection closed: complete for a body that runs to the close, else truncated. */
  end(): void {
    if (this.state === TO_CLOSE) {
      this.state = DONE;
      this.h.onEnd();
    } else if (this.state !== DONE) {
      throw new HttpParseError(this.state < BODY ? 'connection closed before the response head ended' : 'connection closed in the middle of the body');
    }
  }

  push(data: Buffer): void {
    let i = 0;
    while (i < data.length) {
      switch (this.state) {
        case STATUS:
        case HEADERS:
        case CHUNK_SIZE:
        case CHUNK_END:
        case TRAILER: {
          const nl = data.indexOf(10, i);
          const stop = nl < 0 ? data.length : nl + 1;
          this.line += data.toString('latin1', i, stop);
          i = stop;
          this.checkLineLength();
          if (nl < 0) break;
          if (!this.line.endsWith('\r\n')) throw new HttpParseError('bare LF in the response head');
          const line = this.line.slice(0, -2);
          this.line = '';
          this.onLine(line);
          break;
        }
        case BODY:
        case CHUNK_DATA: {
          const n = Math.min(this.left, data.length - i);
          this.h.onBody(data.subarray(i, i + n));
          i += n;
          this.left -= n;
          if (this.left === 0) {
            if (this.state === CHUNK_DATA) this.state = CHUNK_END;
            else this.finish();
          }
          break;
        }
        case TO_CLOSE:
          this.h.onBody(i === 0 ? data : data.subarray(i));
          i = data.length;
          break;
        case DONE:
          throw new HttpParseError('bytes after the end of the response');
      }
    }
  }

  private checkLineLength(): void {
    const max = this.state === STATUS ? LIMITS.statusLine : this.state === HEADERS ? LIMITS.headerBytes - this.headerBytes : LIMITS.chunkLine;
    if (this.line.length > max) throw new HttpParseError(this.state === HEADERS ? 'response headers too large' : 'response line too long');
  }

  private onLine(line: string): void {
    switch (this.state) {
      case STATUS: {
        const m = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n\0]*)?$/.exec(line);
        if (!m) throw new HttpParseError(`not an HTTP/1.x status line: ${JSON.stringify(line.slice(0, 80))}`);
        this.head = { status: Number(m[1]), headers: new Map() };
        this.headerBytes = 0;
        this.state = HEADERS;
        return;
      }
      case HEADERS:
        if (line === '') return this.onHeadEnd();
        this.headerBytes += line.length + 2;
        if (this.head!.headers.size >= LIMITS.headerCount) throw new HttpParseError('too many response headers');
        return this.onHeader(line);
      case CHUNK_SIZE: {
        const m = /^([0-9A-Fa-f]{1,15})(?:[ \t]*;[^\r\n\0]*)?$/.exec(line);
        if (!m) throw new HttpParseError(`bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`);
        this.left = parseInt(m[1]!, 16);
        this.state = this.left === 0 ? TRAILER : CHUNK_DATA;
        return;
      }
      case CHUNK_END:
        if (line !== '') throw new HttpParseError('chunk data longer than its size');
        this.state = CHUNK_SIZE;
        return;
      case TRAILER:
        if (line !== '') throw new HttpParseError('trailers are not accepted');
        return this.finish();
    }
  }

  private onHeader(line: string): void {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw new HttpParseError(line[0] === ' ' || line[0] === '\t' ? 'folded header lines are not accepted' : `bad header line: ${JSON.stringify(line.slice(0, 40))}`);
    const value = line.slice(colon + 1).trim();
    if (BAD_VALUE.test(value)) throw new HttpParseError(`bad value in header ${name}`);
    const key = name.toLowerCase();
    const had = this.head!.headers.get(key);
    if (had !== undefined && key === 'content-length' && had !== value) throw new HttpParseError('conflicting Content-Length headers');
    this.head!.headers.set(key, had === undefined || key === 'content-length' ? value : `${had}, ${value}`);
  }

  private onHeadEnd(): void {
    const head = this.head!;
    if (head.status >= 100 && head.status < 200) {
      if (head.status === 101) throw new HttpParseError('unexpected protocol switch');
      this.state = STATUS; // interim response: the real one follows
      return;
    }
    const te = head.headers.get('transfer-encoding');
    const cl = head.headers.get('content-length');
    if (te !== undefined && cl !== undefined) throw new HttpParseError('both Content-Length and Transfer-Encoding');
    if (te !== undefined && te.toLowerCase() !== 'chunked') throw new HttpParseError(`transfer coding ${JSON.stringify(te)} not supported`);
    if (cl !== undefined && !/^\d{1,15}$/.test(cl)) throw new HttpParseError('bad Content-Length');
    if (this.h.onHead(head) === false) {
      this.state = DONE;
      return;
    }
    if (te !== undefined) this.state = CHUNK_SIZE;
    else if (cl !== undefined) {
      this.left = Number(cl);
      if (this.left === 0) this.finish();
      else this.state = BODY;
    } else if (head.status === 204 || head.status === 304) this.finish();
    else this.state = TO_CLOSE;
  }

  private finish(): void {
    this.state = DONE;
    this.h.onEnd();
  }
}
