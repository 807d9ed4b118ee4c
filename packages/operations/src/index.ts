export { createAlerter, type Alerter } from './alerts.js';
export { operationsContext, type OperationsContext } from './context.js';
export { backup } from './backup.js';
export { restore } from './restore.js';
export { verify, drill } from './checks.js';
export { prune } from './prune.js';
export { pin, unpin } from './pins.js';
export { unlock, type UnlockOutcome } from './unlock.js';
export { runbookStep, commandExitCode, journalRunbook, type RunbookSession } from './runbook.js';
