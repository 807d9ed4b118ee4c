// The front door the apps load at start-up: what every command's context needs, without the operations themselves
// (backup, restore, checks and what they import), which each command loads when it runs.
export { createAlerter, type Alerter } from './alerts.js';
export { operationsContext, type OperationsContext } from './context.js';
