// The XML stream parser xmpp.js uses (ltx's SAX), fed so that it stays linear.
//
// ltx's text state looks for the next '<' with indexOf from every position when a chunk holds
// none, which is quadratic in the chunk: a 44 KB base64 IBB block arriving in 16 KB TLS records
// cost the receiver ~1.3 s of CPU per 20 MiB (profiled). Feeding it only up to the last '>' of
// what has arrived means every text run it sees ends in '<' within the same write. ltx copes with
// any split of the input, so where we split changes speed, not results. A StringDecoder keeps
// multi-byte UTF-8 characters that straddle two TCP reads intact.
import { StringDecoder } from 'node:string_decoder';
import { Parser } from '@xmpp/xml';

export class LinearParser extends (Parser as any) {
  private pending = '';
  private decoder = new StringDecoder('utf8');

  write(data: Buffer | string): void {
    this.pending += typeof data === 'string' ? data : this.decoder.write(data);
    const cut = this.pending.lastIndexOf('>');
    if (cut < 0) return;
    const ready = this.pending.slice(0, cut + 1);
    this.pending = this.pending.slice(cut + 1);
    super.write(ready);
  }

  end(data?: Buffer | string): void {
    if (data) this.write(data);
    if (this.pending) super.write(this.pending);
    this.pending = '';
  }
}
