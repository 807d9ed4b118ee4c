// Names the kind's members share; apart, so that index.ts need not load the backup or the drill to know them.

/** The checkpoint artifact: every object version and delete marker of the bucket. */
export const INVENTORY = 'inventory.jsonl.gz';

/** Scratch copies of drills go under this prefix of the bucket itself. */
export const DRILL_PREFIX = 'lifeboat-drill/';
