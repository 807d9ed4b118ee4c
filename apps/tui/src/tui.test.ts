import { describe, expect, test } from 'vitest';
import type { EngineContext, Plan, Registry } from '@lifeboat/core';
import { tuiRefusal } from './index.js';
import { createServices } from './services.js';
import { colorWanted, makeTheme } from './theme.js';

describe('tuiRefusal', () => {
  test('one sentence when stdout is not a terminal, nothing when it is', () => {
    expect(tuiRefusal(true)).toBeUndefined();
    const sentence = tuiRefusal(false)!;
    expect(sentence).toMatch(/^lifeboat tui needs a terminal, and stdout is not one; .*\.$/);
    expect(sentence.split('. ')).toHaveLength(1);
  });
});

describe('NO_COLOR', () => {
  test('present and not empty means no colour at all', () => {
    expect(colorWanted({})).toBe(true);
    expect(colorWanted({ NO_COLOR: '' })).toBe(true);
    expect(colorWanted({ NO_COLOR: '1' })).toBe(false);
    const theme = makeTheme(false);
    expect([theme.ok, theme.warn, theme.bad, theme.accent, theme.muted]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('services', () => {
  const plan = { name: 'p' } as Plan;
  const runnerSignal = new AbortController();
  const engine = (onEvent: EngineContext['onEvent']): EngineContext => ({
    plan,
    registry: {} as Registry,
    env: {},
    lockDir: '/tmp',
    toolVersion: '1',
    onEvent,
    signal: runnerSignal.signal,
    now: () => new Date('2026-02-14T02:00:00Z'),
  });
  const services = createServices({ plan, engine, registry: {} as Registry, env: {}, version: '1' });

  test("a run's cancel and the runner's signal both cancel the engine", () => {
    const mine = new AbortController();
    const ctx = services.engine(() => undefined, mine.signal);
    expect(ctx.signal?.aborted).toBe(false);
    mine.abort();
    expect(ctx.signal?.aborted).toBe(true);
    const other = services.engine(() => undefined, new AbortController().signal);
    runnerSignal.abort();
    expect(other.signal?.aborted).toBe(true);
  });

  test("events go to the screen's listener; the clock is the engine's", () => {
    const seen: string[] = [];
    services.engine((e) => seen.push(e.type)).onEvent({ type: 'warning', message: 'x' });
    expect(seen).toEqual(['warning']);
    expect(services.now().toISOString()).toBe('2026-02-14T02:00:00.000Z');
  });
});
