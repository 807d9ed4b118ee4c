import { writeFile } from 'node:fs/promises';
import { UsageError, generateAgeIdentity } from '@lifeboat/core';
import type { CommandContext } from '../main.js';

/**
 * `keys generate`: an age identity file as age-keygen writes it (0600, never
 * overwritten), and its recipient on stdout for the plan's
 * `encryption.recipients`. The identity belongs where restores happen, and
 * offline for break-glass — not necessarily on the host that backs up.
 * `--out -` writes the identity to stdout, as `age-keygen` without `-o` does
 * (to pipe into a secret store); it then goes nowhere else, and the recipient
 * goes to stderr, so stdout holds exactly the identity file.
 */
export async function keysGenerateCommand(ctx: CommandContext, opts: { out: string }): Promise<number> {
  const { identity, recipient } = await generateAgeIdentity();
  const text = `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`;
  if (opts.out === '-') {
    ctx.io.stdout.write(text);
    ctx.io.stderr.write(`Public key: ${recipient}\nwrote the identity to stdout; put the public key above in encryption.recipients\n`);
    return 0;
  }
  try {
    await writeFile(opts.out, text, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${opts.out} already exists; Lifeboat never overwrites a key`);
    throw new UsageError(`cannot write ${opts.out}: ${(err as Error).message}`);
  }
  ctx.io.stdout.write(`${recipient}\n`);
  ctx.io.stderr.write(`wrote the identity to ${opts.out} (0600); put the recipient above in encryption.recipients\n`);
  return 0;
}
