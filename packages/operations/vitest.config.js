import { lifeboatVitest } from '@lifeboat/vitest-config';
export default lifeboatVitest();
