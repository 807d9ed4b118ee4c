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
function decode(text: string): string {
  if (!text.includes('&')) return text;
  // Every ETag is `&quot;…&quot;`: the common case without the regular expression.
  if (text.startsWith('&quot;') && text.endsWith('&quot;') && text.indexOf('&', 6) === text.length - 6) return `"${text.slice(6, -6)}"`;
  return text.replace(ENTITY, (_, name: string, dec?: string, hex?: string) => (dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : NAMED[name]!));
}

/** An element's tags, made once (a page asks for seven fields of a thousand entries). */
interface Tag {
  name: string;
  open: string;
  close: string;
  empty: string;
}
const tag = (name: string): Tag => ({ name, open: `<${name}>`, close: `</${name}>`, empty: `<${name}/>` });
const TAGS = {
  key: tag('Key'),
  versionId: tag('VersionId'),
  isLatest: tag('IsLatest'),
  lastModified: tag('LastModified'),
  etag: tag('ETag'),
  size: tag('Size'),
  storageClass: tag('StorageClass'),
  isTruncated: tag('IsTruncated'),
  nextKeyMarker: tag('NextKeyMarker'),
  nextVersionIdMarker: tag('NextVersionIdMarker'),
};

/** The text of the first `<name>…</name>` in xml[from, to), decoded; undefined when absent (or `<name/>`: empty). */
function child(xml: string, t: Tag, from: number, to: number): string | undefined {
  const open = xml.indexOf(t.open, from);
  if (open < 0 || open >= to) {
    const empty = xml.indexOf(t.empty, from);
    return empty >= 0 && empty < to ? '' : undefined;
  }
  const start = open + t.open.length;
  const end = xml.indexOf(t.close, start);
  if (end < 0 || end > to) throw new Error(`a ListObjectVersions page with an unclosed ${t.open}`);
  return decode(xml.slice(start, end));
}

/** S3 writes times as `2026-01-01T00:00:00.000Z`, already what a checkpoint records; anything else is read as a date. */
const isoTime = (text: string | undefined) =>
  text !== undefined && text.length === 24 && text[10] === 'T' && text[19] === '.' && text[23] === 'Z' ? text : new Date(text ?? 0).toISOString();

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
    const field = (t: Tag) => child(xml, t, start, end);
    entries.push({
      key: field(TAGS.key) ?? '',
      versionId: field(TAGS.versionId) ?? 'null',
      deleteMarker,
      isLatest: field(TAGS.isLatest) === 'true',
      lastModified: isoTime(field(TAGS.lastModified)),
      size: deleteMarker ? 0 : Number(field(TAGS.size) ?? 0),
      etag: deleteMarker ? '' : (field(TAGS.etag) ?? ''),
      storageClass: deleteMarker ? '' : (field(TAGS.storageClass) ?? 'STANDARD'),
    });
    at = end + close.length;
  }
  // These appear once, outside the entries (whose text is escaped, so no key can hold them).
  const top = (t: Tag) => child(xml, t, 0, xml.length);
  const nextKeyMarker = top(TAGS.nextKeyMarker);
  const nextVersionIdMarker = top(TAGS.nextVersionIdMarker);
  return { entries, isTruncated: top(TAGS.isTruncated) === 'true', ...(nextKeyMarker !== undefined ? { nextKeyMarker } : {}), ...(nextVersionIdMarker ? { nextVersionIdMarker } : {}) };
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
