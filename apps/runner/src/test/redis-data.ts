export { differences, fingerprint, seedEveryType, type Seeded } from '@lifeboat/testkit';
