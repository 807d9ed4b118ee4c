/**
 * The only module of the testkit that reads `process.env`.
 *
 * LIFEBOAT_TEST_SERVICES=containers|local forces where test servers come from;
 * unset (or `auto`), containers are used when a runtime answers, local
 * binaries otherwise.
 */
export type ServiceMode = 'auto' | 'containers' | 'local';

export interface TestkitEnv {
  services: ServiceMode;
  /** The PATH handed to core when it looks for local server binaries. */
  path: string;
}

export function parseServiceMode(value: string | undefined): ServiceMode {
  const mode = (value ?? '').trim().toLowerCase();
  if (mode === '' || mode === 'auto') return 'auto';
  if (mode === 'containers' || mode === 'local') return mode;
  throw new Error(`LIFEBOAT_TEST_SERVICES is "${value}"; expected containers, local or auto (or unset)`);
}

export function readTestkitEnv(env: NodeJS.ProcessEnv = process.env): TestkitEnv {
  return {
    services: parseServiceMode(env.LIFEBOAT_TEST_SERVICES),
    path: env.PATH ?? '',
  };
}
