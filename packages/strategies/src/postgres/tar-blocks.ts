const BLOCK = 512;

/** What a tar stream's blocks mean to its reader (`TarBlocks`). */
export interface TarVisitor {
  /** A 512-byte header block (or a zero block: end of archive, padding); returns how many data bytes follow it. */
  header(block: Buffer): number;
  /** The next piece of the current member's data. */
  data(part: Buffer): void;
  /** The current member's data is complete (also for a member without data). */
  end(): void;
}

/**
 * Walks a tar stream arriving in pieces of any size: headers, member data,
 * and the padding to the next 512-byte block. One walker serves the sniffer
 * that reads a base backup's facts as it is stored and the layout that
 * writes it out as it is restored; what a header means is theirs.
 */
export class TarBlocks {
  #header = Buffer.alloc(BLOCK);
  #fill = 0;
  #remaining = 0;
  #padding = 0;
  #inMember = false;

  constructor(private readonly visitor: TarVisitor) {}

  /** Inside a header or a member's data: the stream would end cut short here. */
  get partial(): boolean {
    return this.#fill > 0 || this.#inMember;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - at);
        this.visitor.data(chunk.subarray(at, at + take));
        this.#remaining -= take;
        at += take;
        if (this.#remaining === 0) this.#end();
        continue;
      }
      if (this.#padding > 0) {
        const skip = Math.min(this.#padding, chunk.length - at);
        this.#padding -= skip;
        at += skip;
        continue;
      }
      if (this.#fill === 0 && chunk.length - at >= BLOCK) {
        // A whole header in this piece: no copy.
        at += BLOCK;
        this.#member(chunk.subarray(at - BLOCK, at));
        continue;
      }
      const take = Math.min(BLOCK - this.#fill, chunk.length - at);
      chunk.copy(this.#header, this.#fill, at, at + take);
      this.#fill += take;
      at += take;
      if (this.#fill === BLOCK) {
        this.#fill = 0;
        this.#member(this.#header);
      }
    }
  }

  #member(block: Buffer): void {
    const size = this.visitor.header(block);
    this.#remaining = size;
    this.#padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.#inMember = true;
    if (size === 0) this.#end();
  }

  #end(): void {
    this.#inMember = false;
    this.visitor.end();
  }
}
