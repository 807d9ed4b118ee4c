/**
 * Glob patterns for `paths`, `include` and `exclude`, compiled to regular
 * expressions (Node 20's `path.matchesGlob` is experimental and warns on
 * stderr, and no glob library is a dependency here).
 *
 * Syntax: `*` any run of characters except `/` (dot files included, as with
 * `tar --exclude`); `?` one character except `/`; `[abc]`, `[a-z]`, `[!abc]`;
 * `{a,b}` alternatives (may nest); `**` as a whole path segment: any number of
 * folders, none included; `\` makes the next character literal.
 */

export class GlobSyntaxError extends Error {}

const GLOB_CHARS = /[*?[{\\]/;

/** Whether a path holds glob syntax (and so must be expanded). */
export function hasGlob(text: string): boolean {
  return GLOB_CHARS.test(text);
}

/** Why a pattern cannot be compiled, or undefined when it can. */
export function globProblem(pattern: string): string | undefined {
  try {
    globToRegExp(pattern);
    return undefined;
  } catch (err) {
    return err instanceof GlobSyntaxError ? err.message : String(err);
  }
}

/** The pattern as an anchored regular expression over `/`-separated paths. */
export function globToRegExp(pattern: string): RegExp {
  if (pattern === '') throw new GlobSyntaxError('the pattern is empty');
  const [body, end] = translate(pattern, 0, false);
  if (end !== pattern.length) throw new GlobSyntaxError(`unexpected '${pattern[end]}' at position ${end + 1}`);
  return new RegExp(`^${body}$`, 'u');
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/;

function literal(ch: string): string {
  return REGEX_SPECIAL.test(ch) ? `\\${ch}` : ch;
}

/**
 * Translates from `start` until the end, or (inside braces) until the `,` or
 * `}` that ends the current alternative. Returns the regex source and the index
 * where it stopped.
 */
function translate(pattern: string, start: number, inBraces: boolean): [string, number] {
  let out = '';
  let i = start;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (inBraces && (ch === ',' || ch === '}')) return [out, i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new GlobSyntaxError('the pattern ends with a lone \\');
      out += literal(next);
      i += 2;
    } else if (ch === '*') {
      if (pattern[i + 1] === '*' && isSegmentStart(pattern, i) && isSegmentEnd(pattern, i + 2)) {
        if (pattern[i + 2] === '/') {
          // `**/`: zero or more whole folders.
          out += '(?:[^/]*/)*';
          i += 3;
        } else {
          // trailing `**`: everything below.
          out += '.*';
          i += 2;
        }
      } else {
        while (pattern[i] === '*') i++;
        out += '[^/]*';
      }
    } else if (ch === '?') {
      out += '[^/]';
      i++;
    } else if (ch === '[') {
      const [cls, end] = characterClass(pattern, i);
      out += cls;
      i = end;
    } else if (ch === '{') {
      const alternatives: string[] = [];
      let j = i + 1;
      for (;;) {
        const [alt, stop] = translate(pattern, j, true);
        alternatives.push(alt);
        if (stop >= pattern.length) throw new GlobSyntaxError(`the { at position ${i + 1} is never closed`);
        j = stop + 1;
        if (pattern[stop] === '}') break;
      }
      out += `(?:${alternatives.join('|')})`;
      i = j;
    } else {
      out += literal(ch);
      i++;
    }
  }
  return [out, i];
}

function isSegmentStart(pattern: string, i: number): boolean {
  return i === 0 || pattern[i - 1] === '/' || pattern[i - 1] === '{' || pattern[i - 1] === ',';
}

function isSegmentEnd(pattern: string, i: number): boolean {
  return i === pattern.length || pattern[i] === '/' || pattern[i] === '}' || pattern[i] === ',';
}

function characterClass(pattern: string, start: number): [string, number] {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  while (i < pattern.length && (pattern[i] !== ']' || first)) {
    let ch = pattern[i]!;
    if (ch === '\\') {
      i++;
      ch = pattern[i] ?? '';
      if (ch === '') break;
    }
    if (ch === '/') throw new GlobSyntaxError(`the [ at position ${start + 1} holds a /, which never matches inside a name`);
    body += ch === ']' || ch === '\\' || ch === '^' || ch === '[' ? `\\${ch}` : ch === '-' && !first && pattern[i + 1] !== ']' ? '-' : ch === '-' ? '\\-' : ch;
    first = false;
    i++;
  }
  if (i >= pattern.length) throw new GlobSyntaxError(`the [ at position ${start + 1} is never closed`);
  // A class never matches `/`: globs match within one path segment.
  return [negate ? `[^/${body}]` : `[${body}]`, i + 1];
}

/**
 * An include/exclude pattern, and what it is matched against:
 * - no `/` (`*.log`, `.env*`): the name of an entry at any depth;
 * - starting with `/`: the absolute path;
 * - otherwise (`nginx/cache/**`, `**\/tmp`): the path relative to the listed folder being walked.
 */
export class PathPattern {
  readonly anchor: 'name' | 'absolute' | 'relative';
  private readonly regex: RegExp;

  constructor(readonly source: string) {
    this.anchor = !source.includes('/') ? 'name' : source.startsWith('/') ? 'absolute' : 'relative';
    this.regex = globToRegExp(this.anchor === 'relative' ? source.replace(/^\.\//, '') : source);
  }

  /** `relative` is the path below the walked root ('' for the root itself). */
  matches(absolute: string, relative: string): boolean {
    switch (this.anchor) {
      case 'name':
        return this.regex.test(absolute.slice(absolute.lastIndexOf('/') + 1));
      case 'absolute':
        return this.regex.test(absolute);
      case 'relative':
        return relative !== '' && this.regex.test(relative);
    }
  }
}

/** True when any pattern matches. */
export function anyMatches(patterns: readonly PathPattern[], absolute: string, relative: string): boolean {
  return patterns.some((p) => p.matches(absolute, relative));
}

/** Splits an absolute glob into segments for expansion; `\`-escapes stay with their segment. */
export function globSegments(absolutePattern: string): string[] {
  return absolutePattern.split('/').filter((s) => s !== '');
}

/** A segment pattern without glob syntax, unescaped (`a\*b` → `a*b`). */
export function unescapeSegment(segment: string): string {
  return segment.replace(/\\(.)/g, '$1');
}
