import { Transform, type TransformCallback } from 'node:stream';

const BLOCK = 512;

/**
 * Passes a tar stream through unchanged while keeping the contents of a few
 * small top-level members (pg_basebackup's backup_label and backup_manifest),
 * so the facts of a base backup come from the very bytes that were stored.
 */
export class TarSniffer extends Transform {
  readonly found = new Map<string, Buffer>();
  #header = Buffer.alloc(0);
  #remaining = 0;
  #padding = 0;
  #capturing: { name: string; parts: Buffer[] } | undefined;
  #longName: string | undefined;
  #nextIsLongName = false;
  #longParts: Buffer[] = [];

  constructor(private readonly wanted: Set<string>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#scan(chunk);
    cb(null, chunk);
  }

  #scan(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - at);
        const part = chunk.subarray(at, at + take);
        if (this.#capturing) this.#capturing.parts.push(Buffer.from(part));
        if (this.#nextIsLongName) this.#longParts.push(Buffer.from(part));
        this.#remaining -= take;
        at += take;
        if (this.#remaining === 0) this.#endMember();
        continue;
      }
      if (this.#padding > 0) {
        const skip = Math.min(this.#padding, chunk.length - at);
        this.#padding -= skip;
        at += skip;
        continue;
      }
      const take = Math.min(BLOCK - this.#header.length, chunk.length - at);
      this.#header = Buffer.concat([this.#header, chunk.subarray(at, at + take)]);
      at += take;
      if (this.#header.length === BLOCK) {
        this.#readHeader(this.#header);
        this.#header = Buffer.alloc(0);
      }
    }
  }

  #readHeader(block: Buffer): void {
    if (block.every((b) => b === 0)) return;
    const text = (from: number, to: number) => {
      const raw = block.subarray(from, to);
      const end = raw.indexOf(0);
      return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
    };
    const size = (block[124]! & 0x80) !== 0 ? Number(block.readBigUInt64BE(128 + 0)) : parseInt(text(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(block[156]!);
    const prefix = text(345, 500);
    let name = this.#longName ?? (prefix ? `${prefix}/${text(0, 100)}` : text(0, 100));
    this.#longName = undefined;
    name = name.replace(/^\.\//, '');
    this.#nextIsLongName = type === 'L';
    this.#longParts = [];
    this.#capturing = !this.#nextIsLongName && (type === '0' || type === '\0') && this.wanted.has(name) ? { name, parts: [] } : undefined;
    this.#remaining = size;
    this.#padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.#endMember();
  }

  #endMember(): void {
    if (this.#capturing) this.found.set(this.#capturing.name, Buffer.concat(this.#capturing.parts));
    this.#capturing = undefined;
    if (this.#nextIsLongName) {
      const raw = Buffer.concat(this.#longParts);
      const end = raw.indexOf(0);
      this.#longName = raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
      this.#nextIsLongName = false;
    }
  }
}
