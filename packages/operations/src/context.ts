import { identityFor, nowOf, type EngineContext, type Identity } from '@lifeboat/core';
import { createAlerter, type Alerter } from './alerts.js';

/** What every operation needs: the engine's context, the plan's alert channels, and who runs it where (for the journal). */
export interface OperationsContext extends EngineContext {
  alerter: Alerter;
  identity: Identity;
}

/**
 * The engine context completed for operations: an alerter whose failed
 * deliveries are warnings in the run's own view (unless the app hands its
 * own), and the identity from the context's environment.
 */
export function operationsContext(engine: EngineContext, alerter?: Alerter): OperationsContext {
  return {
    ...engine,
    alerter: alerter ?? createAlerter(engine.env, engine.toolVersion, (message) => engine.onEvent({ type: 'warning', message }), () => nowOf(engine)),
    identity: identityFor(engine),
  };
}
