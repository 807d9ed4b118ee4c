import { describe, expect, it } from 'vitest';
import { checkRestoreRequest, DEFAULT_RESTORE_SURFACE, RESTORE_VALUE_TYPES, flagOf, restoreFlagsOf, type RestoreSurface } from './restore-surface.js';

const surface: RestoreSurface = {
  ...DEFAULT_RESTORE_SURFACE,
  options: [
    { name: 'jobs', type: 'count', valueName: 'n', description: 'parallel jobs' },
    { name: 'toDir', type: 'path', valueName: 'dir', description: 'a folder' },
    { name: 'owner', type: 'owner', valueName: 'uid:gid', description: 'owner' },
    { name: 'inPlace', type: 'boolean', description: 'over the originals' },
    { name: 'table', type: 'list', valueName: 'name', description: 'tables' },
  ],
};
const request = (options: Record<string, unknown>, clean = false) => ({ clean, yes: false, options });

describe('a restore request against the kind’s restore surface', () => {
  it('names flags in kebab-case, and what a kind takes', () => {
    expect(flagOf('toDir')).toBe('--to-dir');
    expect(flagOf('inPlace')).toBe('--in-place');
    expect(restoreFlagsOf(surface)).toEqual(['--to', '--clean', '--jobs', '--to-dir', '--owner', '--in-place', '--table']);
    expect(restoreFlagsOf({ ...surface, clean: undefined, options: [] })).toEqual(['--to']);
  });

  it('takes the options the kind declares; undefined and a switch left off are not given', () => {
    const checked = checkRestoreRequest('x', surface, request({ jobs: 4, toDir: '/srv', owner: { uid: 1, gid: 2 }, inPlace: true }));
    expect(checked.options).toEqual({ jobs: 4, toDir: '/srv', owner: { uid: 1, gid: 2 }, inPlace: true });
    expect(checkRestoreRequest('x', { ...surface, options: [] }, request({ jobs: undefined, inPlace: false })).options).toEqual({});
  });

  it('refuses, in one sentence, an option or --clean the kind does not take, naming what it takes', () => {
    const postgresLike = { ...surface, options: surface.options.slice(0, 1) };
    expect(() => checkRestoreRequest('postgres', postgresLike, request({ owner: { uid: 1, gid: 1 } }))).toThrow(
      /^--owner is not a restore option of postgres components; they take --to, --clean, --jobs$/,
    );
    const filesLike = { ...surface, clean: undefined };
    expect(() => checkRestoreRequest('files', filesLike, request({}, true))).toThrow(
      /^--clean is not a restore option of files components; they take --to, --jobs, --to-dir, --owner, --in-place, --table$/,
    );
    let refused: unknown;
    try {
      checkRestoreRequest('postgres', postgresLike, request({ toDir: '/x' }));
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ exitCode: 2, message: '--to-dir is not a restore option of postgres components; they take --to, --clean, --jobs' });
  });

  it('refuses a value of the wrong type with what it expects', () => {
    expect(() => checkRestoreRequest('x', surface, request({ jobs: 0 }))).toThrow('--jobs of a x restore expects a whole number ≥ 1, got 0');
    expect(() => checkRestoreRequest('x', surface, request({ owner: 'redis' }))).toThrow('--owner of a x restore expects numeric UID:GID such as 999:999, got "redis"');
    expect(() => checkRestoreRequest('x', surface, request({ table: [] }))).toThrow('--table of a x restore expects one or more names');
    expect(() => checkRestoreRequest('x', surface, request({ table: 'users' }))).toThrow('--table of a x restore expects one or more names');
  });

  it('a list is one or more names: repeated flags, or comma-separated text in the wizard', () => {
    expect(checkRestoreRequest('x', surface, request({ table: ['public.users', 'orders'] })).options).toEqual({ table: ['public.users', 'orders'] });
    expect(RESTORE_VALUE_TYPES.list.parse(' public.users, orders ,')).toEqual(['public.users', 'orders']);
    expect(RESTORE_VALUE_TYPES.list.parse(' , ')).toBeUndefined();
  });
});
