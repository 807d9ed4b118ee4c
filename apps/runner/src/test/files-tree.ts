export { describeTree, isRoot, makeConfigTree, settleTimes, writeBigFile } from '@lifeboat/testkit';
