import { LifeboatError } from '../errors.js';
import { runCommand } from './child.js';

export interface HookRun {
  /** Which hook, for messages: `beforeRestore`. */
  name: string;
  commands: string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  onOutput?: (line: string) => void;
}

/**
 * Runs the plan's hook commands in order with /bin/sh, as the guide's
 * operators would type them. The first failing command stops the rest.
 */
export async function runHooks(run: HookRun): Promise<void> {
  for (const [i, command] of run.commands.entries()) {
    run.onOutput?.(`${run.name}: ${command}`);
    try {
      const { stdout } = await runCommand('/bin/sh', ['-c', command], {
        env: run.env,
        cwd: run.cwd,
        signal: run.signal,
        label: `hook ${run.name}[${i}] (${command})`,
      });
      for (const line of stdout.split('\n').filter(Boolean)) run.onOutput?.(`  ${line}`);
    } catch (err) {
      throw new LifeboatError(err instanceof Error ? err.message : String(err), undefined, { cause: err });
    }
  }
}
