import { stat } from 'node:fs/promises';
import type { StrategyContext } from '@lifeboat/core';
import { describe, expect, test } from 'vitest';
import type { FilesConfig } from './config.js';
import { prepareFilesDrill } from './drill.js';

const ctx = { component: 'config' } as StrategyContext<FilesConfig>;

describe('prepareFilesDrill', () => {
  test('ephemeral is a fresh temporary folder, removed by cleanup', async () => {
    const drill = await prepareFilesDrill(ctx, 'ephemeral');
    const dir = drill.request.target!;
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect(drill.request).toEqual({ target: dir, clean: false, yes: false, options: {} });
    await drill.cleanup();
    await expect(stat(dir)).rejects.toThrow();
  });

  test('an absolute folder is used as is; anything else is refused', async () => {
    expect((await prepareFilesDrill(ctx, '/srv/drills/config')).request.target).toBe('/srv/drills/config');
    await expect(prepareFilesDrill(ctx, 'env:STAGING')).rejects.toThrow('components.config.drill.target for a files component is ephemeral or an absolute folder path');
  });
});
