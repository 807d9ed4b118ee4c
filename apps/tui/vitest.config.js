import { lifeboatVitest } from '@lifeboat/vitest-config';

const config = lifeboatVitest();
// Screens are checked with colour on (FORCE_COLOR reaches chalk, which Ink
// colours with), so a test can tell that NO_COLOR really removes every colour.
for (const project of config.test.projects) project.test.env = { ...project.test.env, FORCE_COLOR: '1' };
export default config;
