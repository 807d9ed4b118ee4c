import type { Key } from 'ink';

/**
 * Every key the TUI answers to, in one declarative table: the help screen,
 * the footer hints and key handling all read it, so a key documented is a key
 * that works and the other way round.
 */
export type Command =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'open'
  | 'back'
  | 'quit'
  | 'help'
  | 'backup'
  | 'verify'
  | 'drill'
  | 'restore'
  | 'runbooks'
  | 'history'
  | 'refresh'
  | 'cancel'
  | 'yes'
  | 'no'
  | 'clean'
  | 'note'
  | 'skip'
  | 'finish'
  | 'submit'
  | 'erase';

/** Where a binding applies. A screen names the scopes it listens to, most specific first. */
export type Scope = 'global' | 'list' | 'dashboard' | 'backups' | 'live' | 'review' | 'clean' | 'runbook' | 'history' | 'confirm' | 'text' | 'help';

type NamedKey = 'upArrow' | 'downArrow' | 'pageUp' | 'pageDown' | 'return' | 'escape' | 'backspace' | 'delete';

/** One physical key: a character (`input`) or a named key, optionally with ctrl. */
export interface Chord {
  input?: string;
  key?: NamedKey;
  ctrl?: boolean;
}

export interface KeyBinding {
  command: Command;
  chords: Chord[];
  /** How the key is written for people: `↑ k`, `enter`, `ctrl+c`. */
  label: string;
  /** What it does, for the help screen. */
  help: string;
  /** Short form for the footer; bindings without one appear only in help. */
  hint?: string;
}

export interface KeyGroup {
  scope: Scope;
  title: string;
  bindings: KeyBinding[];
}

const enter: Chord = { key: 'return' };
const esc: Chord = { key: 'escape' };

export const KEY_TABLE: readonly KeyGroup[] = [
  {
    scope: 'global',
    title: 'Everywhere',
    bindings: [
      { command: 'help', chords: [{ input: '?' }], label: '?', help: 'show every key (this screen)', hint: '? keys' },
      { command: 'back', chords: [esc], label: 'esc', help: 'go back', hint: 'esc back' },
      { command: 'quit', chords: [{ input: 'q' }, { input: 'c', ctrl: true }], label: 'q ^c', help: 'quit (not while a run runs)', hint: 'q quit' },
    ],
  },
  {
    scope: 'list',
    title: 'Lists',
    bindings: [
      { command: 'up', chords: [{ key: 'upArrow' }, { input: 'k' }], label: '↑ k', help: 'move up' },
      { command: 'down', chords: [{ key: 'downArrow' }, { input: 'j' }], label: '↓ j', help: 'move down' },
      { command: 'pageUp', chords: [{ key: 'pageUp' }], label: 'pgup', help: 'page up' },
      { command: 'pageDown', chords: [{ key: 'pageDown' }], label: 'pgdn', help: 'page down' },
      { command: 'open', chords: [enter], label: 'enter', help: 'choose / open', hint: 'enter choose' },
    ],
  },
  {
    scope: 'dashboard',
    title: 'Dashboard',
    bindings: [
      { command: 'open', chords: [enter], label: 'enter', help: "the component's backups", hint: 'enter backups' },
      { command: 'backup', chords: [{ input: 'b' }], label: 'b', help: 'back up the component now', hint: 'b backup' },
      { command: 'verify', chords: [{ input: 'v' }], label: 'v', help: 'verify its backups (sha256)', hint: 'v verify' },
      { command: 'drill', chords: [{ input: 'd' }], label: 'd', help: 'timed restore drill', hint: 'd drill' },
      { command: 'restore', chords: [{ input: 'r' }], label: 'r', help: 'restore wizard', hint: 'r restore' },
      { command: 'runbooks', chords: [{ input: 'u' }], label: 'u', help: 'disaster-recovery runbooks', hint: 'u runbooks' },
      { command: 'history', chords: [{ input: 'h' }], label: 'h', help: 'run history and RTO chart', hint: 'h history' },
      { command: 'refresh', chords: [{ input: 'g' }], label: 'g', help: 'refresh now' },
    ],
  },
  {
    scope: 'backups',
    title: 'Backups',
    bindings: [{ command: 'restore', chords: [{ input: 'r' }, enter], label: 'r enter', help: 'restore the selected backup', hint: 'r restore' }],
  },
  {
    scope: 'live',
    title: 'Live run',
    bindings: [{ command: 'cancel', chords: [{ input: 'c' }, esc], label: 'c esc', help: 'cancel the run (asks first)', hint: 'c cancel' }],
  },
  {
    scope: 'review',
    title: 'Restore: what will happen',
    bindings: [
      { command: 'open', chords: [enter], label: 'enter', help: 'start (production: confirm)', hint: 'enter start' },
    ],
  },
  {
    // Only where clean means something (a database, a running Redis), so the hint is not offered elsewhere.
    scope: 'clean',
    title: 'Restore into a server',
    bindings: [{ command: 'clean', chords: [{ input: 'c' }], label: 'c', help: 'toggle --clean (replace all)', hint: 'c clean' }],
  },
  {
    scope: 'runbook',
    title: 'Runbook steps',
    bindings: [
      { command: 'open', chords: [enter], label: 'enter', help: 'run, or mark manual step done', hint: 'enter run/done' },
      { command: 'note', chords: [{ input: 'n' }], label: 'n', help: 'mark done with a note', hint: 'n note' },
      { command: 'skip', chords: [{ input: 's' }], label: 's', help: 'skip the step', hint: 's skip' },
      { command: 'finish', chords: [{ input: 'f' }], label: 'f', help: 'finish and record the RTO', hint: 'f finish' },
      { command: 'cancel', chords: [{ input: 'c' }], label: 'c', help: 'cancel the running step' },
    ],
  },
  {
    scope: 'history',
    title: 'History',
    bindings: [{ command: 'refresh', chords: [{ input: 'g' }], label: 'g', help: 'read the journal again', hint: 'g refresh' }],
  },
  {
    scope: 'confirm',
    title: 'Questions (y/n)',
    bindings: [
      { command: 'yes', chords: [{ input: 'y' }], label: 'y', help: 'yes', hint: 'y yes' },
      { command: 'no', chords: [{ input: 'n' }, esc], label: 'n esc', help: 'no', hint: 'n no' },
    ],
  },
  {
    scope: 'text',
    title: 'Typing',
    bindings: [
      { command: 'submit', chords: [enter], label: 'enter', help: 'accept what you typed', hint: 'enter accept' },
      { command: 'erase', chords: [{ key: 'backspace' }, { key: 'delete' }], label: 'bksp', help: 'delete the last character' },
      { command: 'back', chords: [esc], label: 'esc', help: 'stop typing', hint: 'esc cancel' },
    ],
  },
  {
    scope: 'help',
    title: 'Help',
    bindings: [{ command: 'back', chords: [esc, { input: '?' }], label: 'esc ?', help: 'close help', hint: 'esc close' }],
  },
];

function matches(chord: Chord, input: string, key: Key): boolean {
  if (chord.key) return key[chord.key] && (chord.ctrl ?? false) === key.ctrl;
  // Escape sets `meta` in Ink, so alt-chords never pass for plain letters.
  return chord.input === input && (chord.ctrl ?? false) === key.ctrl && !key.meta;
}

/** The command a key means in these scopes (searched in order), if any. */
export function resolveKey(scopes: readonly Scope[], input: string, key: Key): Command | undefined {
  for (const scope of scopes) {
    for (const group of KEY_TABLE) {
      if (group.scope !== scope) continue;
      const found = group.bindings.find((b) => b.chords.some((c) => matches(c, input, key)));
      if (found) return found.command;
    }
  }
  return undefined;
}

/**
 * The keys in one input chunk, one at a time. Ink hands a chunk of plain
 * characters to useInput as one string (it splits only escape sequences), so
 * keys that arrive together — `tmux send-keys -l jj`, fast typing over a slow
 * link, a paste — would otherwise count as one unknown key. Control
 * characters in the chunk become the keys Ink would have made of them alone.
 */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
  const chars = [...input];
  if (chars.length <= 1 || key.ctrl || key.meta) return [[input, key]];
  const plain: Key = { ...key, shift: false, return: false, tab: false, backspace: false, delete: false };
  return chars.map((ch): [string, Key] => {
    if (ch === '\r') return ['', { ...plain, return: true }];
    if (ch === '\t') return ['', { ...plain, tab: true }];
    // Ink names a lone LF "enter" and hands it over with no flag set.
    if (ch === '\n') return ['', plain];
    if (ch === '\b') return ['', { ...plain, backspace: true }];
    if (ch === '\u007f') return ['', { ...plain, delete: true }];
    const code = ch.codePointAt(0)!;
    // ^A…^Z, as Ink names them: the letter with ctrl.
    if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...plain, ctrl: true }];
    return [ch, { ...plain, shift: /[A-Z]/.test(ch) }];
  });
}

/** Text a key adds to a field: printable characters only (a paste arrives as one string). */
export function typedText(input: string, key: Key): string | undefined {
  if (key.ctrl || key.meta || key.return || key.escape || key.tab || key.backspace || key.delete) return undefined;
  // eslint-disable-next-line no-control-regex
  const text = input.replace(/[\u0000-\u001f\u007f]/g, '');
  return text.length > 0 ? text : undefined;
}

/** Footer hints for the scopes a screen listens to, then the global ones, cut to fit `width`. */
export function footerHints(scopes: readonly Scope[], width: number): string {
  // Typing, a question or help take the keyboard: only their own keys are hinted.
  const capturing = scopes.filter((s) => s === 'text' || s === 'confirm' || s === 'help');
  const captures = capturing.length > 0;
  const screen = (captures ? capturing : scopes).flatMap((s) => KEY_TABLE.filter((g) => g.scope === s).flatMap((g) => g.bindings));
  const global = captures ? [] : KEY_TABLE.filter((g) => g.scope === 'global').flatMap((g) => g.bindings);
  const seen = new Set<string>();
  const claimed = new Set<string>();
  const hints: string[] = [];
  for (const b of [...screen, ...global]) {
    // A key an earlier (more specific) scope already answers to is not this binding's any more.
    const chords = b.chords.map((c) => `${c.input ?? ''}|${c.key ?? ''}|${c.ctrl ? 'ctrl' : ''}`);
    const shadowed = chords.every((c) => claimed.has(c));
    for (const c of chords) claimed.add(c);
    if (!b.hint || shadowed || seen.has(b.hint)) continue;
    seen.add(b.hint);
    hints.push(b.hint);
  }
  // Global hints (help, back, quit) are kept; screen hints are dropped from the end until all fit.
  const keep = captures ? [] : global.map((b) => b.hint!).filter((h) => hints.includes(h));
  const optional = hints.filter((h) => !keep.includes(h));
  const join = (parts: string[]) => parts.join('  ');
  while (optional.length > 0 && join([...optional, ...keep]).length > width) optional.pop();
  return join([...optional, ...keep]).slice(0, width);
}

/** How far a list command moves the selection (`page` rows for page keys); undefined for other commands. */
export function listStep(command: Command, page: number): number | undefined {
  switch (command) {
    case 'up':
      return -1;
    case 'down':
      return 1;
    case 'pageUp':
      return -page;
    case 'pageDown':
      return page;
    default:
      return undefined;
  }
}
