// What needs the AWS SDK (a 2 s import): index.ts loads this only when an ec2 component is backed up, restored, pruned…
export { ec2Archive } from './archive.js';
export { backupEc2 } from './backup.js';
export { prepareEc2Drill } from './drill.js';
export { launchEc2, preflightEc2 } from './launch.js';
export { ec2Orphans } from './orphans.js';
