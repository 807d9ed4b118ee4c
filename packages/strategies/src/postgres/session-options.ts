// No driver here: config.ts reaches this through restore-session.ts, and plain commands must not load pg.

/** Session settings as libpq's `options` (and PGOPTIONS) take them: `-c name=value …`. */
export function sessionOptions(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');
}
