import { Transform, type TransformCallback } from 'node:stream';
import { TarBlocks } from './tar-blocks.js';

/**
 * Passes a tar stream through unchanged while keeping the contents of a few
 * small top-level members (pg_basebackup's backup_label and backup_manifest),
 * so the facts of a base backup come from the very bytes that were stored.
 */
export class TarSniffer extends Transform {
  readonly found = new Map<string, Buffer>();
  #capturing: { name: string; parts: Buffer[] } | undefined;
  #longName: string | undefined;
  #nextIsLongName = false;
  #longParts: Buffer[] = [];
  readonly #blocks = new TarBlocks({ header: (block) => this.#readHeader(block), data: (part) => this.#data(part), end: () => this.#endMember() });

  constructor(private readonly wanted: Set<string>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#blocks.push(chunk);
    cb(null, chunk);
  }

  #data(part: Buffer): void {
    if (this.#capturing) this.#capturing.parts.push(Buffer.from(part));
    if (this.#nextIsLongName) this.#longParts.push(Buffer.from(part));
  }

  #readHeader(block: Buffer): number {
    if (block.every((b) => b === 0)) return 0;
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
    return size;
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
