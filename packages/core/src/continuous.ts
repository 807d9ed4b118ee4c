/**
 * `schedule: continuous`: what a kind runs to keep a component backed up all
 * the time, rather than at set times. The kind says it (`Strategy.continuous`);
 * the generators (systemd units, Kubernetes manifests) turn it into what their
 * engine runs, so neither knows a kind by name.
 */
import { UsageError } from './errors.js';
import type { ComponentPlan } from './plan/types.js';

export interface ContinuousPlan {
  /** How the data is kept continuously, one sentence for the generated files. */
  how: string;
  /** The lifeboat arguments (after `--plan FILE`) that set it up or check it, e.g. `wal setup database`; absent: nothing to set up. */
  setup?: string[];
  /** When `lifeboat backup <component>` still runs on a timer (base backups), as a 5-field cron; absent: no timer. */
  backups?: string;
  /** A long-running process a supervisor keeps up (a systemd service with Restart=, a Kubernetes Deployment); absent: none. */
  daemon?: ContinuousDaemon;
}

export interface ContinuousDaemon {
  /** Its part of the unit name: `lifeboat-<name>-<component>.service`, Deployment `lifeboat-<name>-<component>`. */
  name: string;
  /** What it does, for Description= and comments. */
  description: string;
  /** The lifeboat arguments after `--plan FILE`, e.g. `wal pusher database --forever`. */
  args: string[];
  /** Absolute folders it writes besides the destinations (a spool). */
  writable: string[];
  /** The OS user it must run as to share files with the source (the spool's owner); absent: whoever runs lifeboat. */
  user?: string;
  /** That user's numeric id where a runtime needs a number (a Kubernetes pod's runAsUser): its id in the source's official image. */
  uid?: number;
}

/**
 * Why this component cannot be continuous, as the plan loader words it:
 * `<file>: components.<name>.schedule: 'continuous' <refused>; <advice>`.
 */
export interface ContinuousRefusal {
  refused: string;
  /** What to do instead; default: use a cron expression or on-change. */
  advice?: string;
}

/** The hook a kind implements to accept `schedule: continuous`; kinds without it refuse it. */
export type ContinuousHook<Config = unknown> = (component: ComponentPlan & Config) => ContinuousPlan | ContinuousRefusal;

export function isContinuousRefusal(value: ContinuousPlan | ContinuousRefusal): value is ContinuousRefusal {
  return 'refused' in value;
}

/**
 * What runs for a `schedule: continuous` component, as its kind says. The plan
 * loader has already refused the components whose kind cannot say, so a
 * refusal here means the plan was not loaded with these strategies.
 */
export function continuousPlanOf(component: ComponentPlan, strategies: ReadonlyArray<{ kind: string; continuous?: ContinuousHook<never> }>): ContinuousPlan {
  const hook = strategies.find((s) => s.kind === component.type)?.continuous as ContinuousHook | undefined;
  const answer = hook?.(component);
  if (!answer || isContinuousRefusal(answer)) {
    throw new UsageError(`components.${component.name}.schedule: 'continuous' ${answer ? answer.refused : `is not something type ${component.type} can do`}`);
  }
  return answer;
}
