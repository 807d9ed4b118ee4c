import { Readable } from 'node:stream';
import type { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { VersionEntry } from './inventory.js';

/** One ListObjectVersions page as the listing needs it: the entries in S3's order, and where the next page starts. */
export interface VersionsPage {
  entries: VersionEntry[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

const ENTITY = /&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-fA-F]+));/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };
const decode = (text: string) =>
  text.includes('&') ? text.replace(ENTITY, (_, name: string, dec?: string, hex?: string) => (dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : NAMED[name]!)) : text;

/** The text of the first `<name>…</name>` in xml[from, to), decoded; undefined when absent (or `<name/>`: empty). */
function child(xml: string, name: string, from: number, to: number): string | undefined {
  const open = xml.indexOf(`<${name}>`, from);
  if (open < 0 || open >= to) return xml.indexOf(`<${name}/>`, from) >= 0 && xml.indexOf(`<${name}/>`, from) < to ? '' : undefined;
  const start = open + name.length + 2;
  const end = xml.indexOf(`</${name}>`, start);
  if (end < 0 || end > to) throw new Error(`a ListObjectVersions page with an unclosed <${name}>`);
  return decode(xml.slice(start, end));
}

/**
 * Reads a ListVersionsResult document: `<Version>` and `<DeleteMarker>`
 * elements in document order, which is S3's listing order (keys by UTF-8
 * bytes, each key's versions newest first) — the SDK's general deserializer
 * splits them into two lists and costs most of a listing's CPU; this reads
 * only the fields a checkpoint records. Undefined for any other document
 * (the SDK then reads it).
 */
export function parseVersionsPage(xml: string): VersionsPage | undefined {
  if (!xml.includes('<ListVersionsResult')) return undefined;
  const entries: VersionEntry[] = [];
  let at = 0;
  // Where the next of each kind starts, searched again only once passed (a page of versions has few markers).
  let version = xml.indexOf('<Version>');
  let marker = xml.indexOf('<DeleteMarker>');
  for (;;) {
    if (version >= 0 && version < at) version = xml.indexOf('<Version>', at);
    if (marker >= 0 && marker < at) marker = xml.indexOf('<DeleteMarker>', at);
    if (version < 0 && marker < 0) break;
    const deleteMarker = version < 0 || (marker >= 0 && marker < version);
    const start = deleteMarker ? marker : version;
    const close = deleteMarker ? '</DeleteMarker>' : '</Version>';
    const end = xml.indexOf(close, start);
    if (end < 0) throw new Error(`a ListObjectVersions page with an unclosed ${deleteMarker ? '<DeleteMarker>' : '<Version>'}`);
    const field = (name: string) => child(xml, name, start, end);
    const modified = field('LastModified');
    entries.push({
      key: field('Key') ?? '',
      versionId: field('VersionId') ?? 'null',
      deleteMarker,
      isLatest: field('IsLatest') === 'true',
      lastModified: new Date(modified ?? 0).toISOString(),
      size: deleteMarker ? 0 : Number(field('Size') ?? 0),
      etag: deleteMarker ? '' : (field('ETag') ?? ''),
      storageClass: deleteMarker ? '' : (field('StorageClass') ?? 'STANDARD'),
    });
    at = end + close.length;
  }
  // These appear once, outside the entries (whose text is escaped, so no key can hold them).
  const top = (name: string) => child(xml, name, 0, xml.length);
  const nextKeyMarker = top('NextKeyMarker');
  const nextVersionIdMarker = top('NextVersionIdMarker');
  return { entries, isTruncated: top('IsTruncated') === 'true', ...(nextKeyMarker !== undefined ? { nextKeyMarker } : {}), ...(nextVersionIdMarker ? { nextVersionIdMarker } : {}) };
}

const EMPTY_RESULT = '<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListVersionsResult>';

/**
 * Has the command read a successful page with `parseVersionsPage`: signing,
 * retries with back-off and error answers stay the SDK's (the step sits just
 * inside its deserializer, so every attempt passes through it), and the SDK is
 * handed an empty result to deserialize. `page()` is what was read, or
 * undefined when the SDK's own output is to be used.
 */
export function readVersionsPage(command: ListObjectVersionsCommand): { page(): VersionsPage | undefined } {
  let read: VersionsPage | undefined;
  command.middlewareStack.addRelativeTo(
    ((next: (args: unknown) => Promise<{ response: unknown; output?: unknown }>) => async (args: unknown) => {
      const result = await next(args);
      const response = result.response as { statusCode?: number; body?: unknown };
      read = undefined;
      if (response.statusCode === 200 && response.body && typeof (response.body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
        const chunks: Buffer[] = [];
        for await (const chunk of response.body as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        const body = Buffer.concat(chunks);
        read = parseVersionsPage(body.toString('utf8'));
        // Read whole: the SDK deserializes an empty result, or (not a page) the same bytes again.
        response.body = Readable.from([read ? Buffer.from(EMPTY_RESULT) : body]);
      }
      return result;
    }) as never,
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'lifeboatVersionsPage', override: true } as never,
  );
  return { page: () => read };
}
