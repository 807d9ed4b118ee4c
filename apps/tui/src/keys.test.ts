import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { KEY_TABLE, footerHints, resolveKey, typedText, type Scope } from './keys.js';
import { helpColumns, helpGroups } from './screens/help/help-lines.js';
import { inkKey } from './test/keys.js';

describe('resolveKey', () => {
  test('arrows and j/k move in lists', () => {
    expect(resolveKey(['list'], '', inkKey({ upArrow: true }))).toBe('up');
    expect(resolveKey(['list'], 'k', inkKey())).toBe('up');
    expect(resolveKey(['list'], '', inkKey({ downArrow: true }))).toBe('down');
    expect(resolveKey(['list'], 'j', inkKey())).toBe('down');
  });

  test('the most specific scope wins: enter opens backups on the dashboard, runs a step in a runbook, chooses in a list', () => {
    const enter = inkKey({ return: true });
    expect(resolveKey(['dashboard', 'list'], '\r', enter)).toBe('open');
    expect(resolveKey(['runbook', 'list'], '\r', enter)).toBe('open');
    expect(resolveKey(['backups', 'list'], '\r', enter)).toBe('restore');
    expect(resolveKey(['text'], '\r', enter)).toBe('submit');
  });

  test('q and ctrl+c quit, esc goes back, ? shows help', () => {
    expect(resolveKey(['global'], 'q', inkKey())).toBe('quit');
    expect(resolveKey(['global'], 'c', inkKey({ ctrl: true }))).toBe('quit');
    expect(resolveKey(['global'], '', inkKey({ escape: true, meta: true }))).toBe('back');
    expect(resolveKey(['global'], '?', inkKey({ shift: true }))).toBe('help');
  });

  test('a letter with alt (esc then letter) is not the letter', () => {
    expect(resolveKey(['dashboard'], 'b', inkKey({ meta: true }))).toBeUndefined();
  });

  test('keys of other screens mean nothing here', () => {
    expect(resolveKey(['dashboard', 'list'], 'f', inkKey())).toBeUndefined();
    expect(resolveKey(['live'], 'b', inkKey())).toBeUndefined();
  });

  test('in a question, n and esc say no and y says yes', () => {
    expect(resolveKey(['confirm'], 'y', inkKey())).toBe('yes');
    expect(resolveKey(['confirm'], 'n', inkKey())).toBe('no');
    expect(resolveKey(['confirm'], '', inkKey({ escape: true, meta: true }))).toBe('no');
  });

  test('backspace, as terminals send it (DEL) or as ^H, erases', () => {
    expect(resolveKey(['text'], '', inkKey({ delete: true }))).toBe('erase');
    expect(resolveKey(['text'], '', inkKey({ backspace: true }))).toBe('erase');
  });
});

describe('typedText', () => {
  test('printable characters and pastes go into a field; control keys do not', () => {
    expect(typedText('q', inkKey())).toBe('q');
    expect(typedText('env:RESTORE_URL', inkKey())).toBe('env:RESTORE_URL');
    expect(typedText('', inkKey({ return: true }))).toBeUndefined();
    expect(typedText('c', inkKey({ ctrl: true }))).toBeUndefined();
    expect(typedText('\u0007', inkKey())).toBeUndefined();
  });
});

describe('the key table', () => {
  test('no key means two things in one scope', () => {
    for (const group of KEY_TABLE) {
      const chords = group.bindings.flatMap((b) => b.chords.map((c) => `${c.input ?? ''}|${c.key ?? ''}|${c.ctrl ? 1 : 0}`));
      expect(new Set(chords).size, group.title).toBe(chords.length);
    }
  });

  test('every binding says what it does', () => {
    for (const b of KEY_TABLE.flatMap((g) => g.bindings)) {
      expect(b.label.trim()).not.toBe('');
      expect(b.help.trim()).not.toBe('');
    }
  });

  test('help shows every key at 80×24: two columns of 40, 21 rows, no group cut in two', () => {
    const groups = helpGroups(39);
    const columns = helpColumns(groups, 2, 21, 0);
    const shown = columns.flat().map((l) => l.text);
    for (const group of KEY_TABLE.filter((g) => g.scope !== 'help')) {
      expect(shown).toContain(group.title);
      for (const b of group.bindings) expect(shown.some((l) => l.includes(b.help)), b.help).toBe(true);
    }
    for (const line of shown) expect(line.length).toBeLessThanOrEqual(39);
    for (const column of columns) expect(column.length).toBeLessThanOrEqual(21);
  });

  test("the README's key list is this table", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const group of KEY_TABLE) {
      expect(readme).toContain(`| **${group.title}** | |`);
      for (const b of group.bindings) expect(readme).toContain(`| \`${b.label}\` | ${b.help} |`);
    }
  });

  test('help scrolls instead of cutting when the terminal is too short', () => {
    const groups = helpGroups(39);
    const top = helpColumns(groups, 2, 10, 0).flat();
    const bottom = helpColumns(groups, 2, 10, 100).flat();
    expect(top.length).toBeLessThanOrEqual(20);
    expect(bottom.map((l) => l.text)).not.toEqual(top.map((l) => l.text));
  });
});

describe('footerHints', () => {
  const scopes: Scope[] = ['dashboard', 'list'];

  test('the screen first, then help/back/quit, within the width', () => {
    const hints = footerHints(scopes, 80);
    expect(hints.startsWith('enter backups  b backup')).toBe(true);
    expect(hints.endsWith('? keys  esc back  q quit')).toBe(true);
    expect(hints.length).toBeLessThanOrEqual(80);
  });

  test('narrow terminals drop screen hints, never the way to help and out', () => {
    const hints = footerHints(scopes, 40);
    expect(hints).toContain('? keys');
    expect(hints).toContain('q quit');
    expect(hints.length).toBeLessThanOrEqual(40);
  });

  test('a key a more specific scope took is not hinted twice', () => {
    const hints = footerHints(['runbook', 'list'], 120);
    expect(hints).toContain('enter run/done');
    expect(hints).not.toContain('enter choose');
  });

  test('while typing, only the typing keys: q is a letter then', () => {
    expect(footerHints(['text'], 80)).toBe('enter accept  esc cancel');
  });
});
