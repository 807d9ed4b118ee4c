import type { RestoreSurface } from '@lifeboat/core';
import type { S3BucketConfig } from './config.js';

export const MEDIA_OPTIONS = [
  { name: 'asOf', type: 'string', valueName: 'time', description: 'each key as it was at this time (with a zone: 2026-02-14T12:00:00Z): its newest version then; a delete marker then means absent' },
  { name: 'prefix', type: 'string', valueName: 'prefix', description: 'only the keys under this prefix (default: the plan\u2019s prefix)' },
  { name: 'toBucket', type: 'string', valueName: 'bucket', description: 'copy the versions as of --as-of into this bucket (keys absent then are skipped, nothing is deleted; a prefix already holding objects needs --yes)' },
  { name: 'toPrefix', type: 'string', valueName: 'prefix', description: 'with --to-bucket: put each key under this prefix' },
  { name: 'inPlace', type: 'boolean', description: 'over the live keys: each becomes its version as of --as-of (a new version), or gets a delete marker if absent then; needs --yes' },
  { name: 'undelete', type: 'boolean', description: 'only remove the delete markers made after --as-of (overwrites stay); needs --yes' },
  { name: 'dryRun', type: 'boolean', description: 'write the plan as JSON lines and print counts and bytes; change nothing' },
  { name: 'planFile', type: 'path', valueName: 'file', description: 'with --dry-run: where the plan goes (default: a new file in the temp folder)' },
  { name: 'compareCheckpoint', type: 'boolean', description: 'also check that what is copied is what the checkpoint (the backup) lists as live at --as-of (drills do)' },
  { name: 'jobs', type: 'count', valueName: 'n', description: 'copies in flight at once (default 16); throttling (SlowDown) is backed off' },
] as const;

/** As of a time: into another bucket or prefix (`--to-bucket`), over the live keys (`--in-place --yes`), or only undeleting. */
export const s3BucketRestoreSurface: RestoreSurface<S3BucketConfig> = {
  to: { description: 'the same as --to-bucket/--to-prefix: a bucket name or s3://bucket/prefix/' },
  options: MEDIA_OPTIONS,
  examples: [
    '  $ lifeboat restore media --as-of 2026-02-14T12:00:00Z --prefix uploads/ --to-bucket civicq-media-restored --dry-run',
    '  $ lifeboat restore media --as-of 2026-02-14T12:00:00Z --in-place --yes --json',
    '  $ lifeboat restore media --as-of 2026-02-14T12:00:00Z --undelete --yes',
  ],
  targets(config) {
    const asOf = { into: 'asOf', name: 'as of (time with a zone)', title: 'as of when', ask: 'the time to restore to', example: '2026-02-14T12:00:00Z', hint: 'each key as it was then; a key deleted by then is left out' };
    return [
      {
        kind: 'typed',
        label: 'copy into a bucket or prefix (nothing live is changed)',
        beside: true,
        fields: [
          { into: 'toBucket', name: 'bucket', ask: 'the bucket to copy into', example: `${config.bucket ?? 'media'}-restored`, hint: 'an existing bucket; the component\u2019s own bucket needs a prefix' },
          { into: 'toPrefix', name: 'prefix (or empty)', title: 'prefix in that bucket', ask: 'a prefix', example: 'restored/', hint: 'each key is written under it', empty: 'the keys as they are named' },
          asOf,
        ],
      },
      {
        kind: 'inPlace',
        label: `production: over the live keys of s3://${config.bucket ?? ''}`,
        set: { options: { inPlace: true } },
        value: `s3://${config.bucket ?? ''}`,
        production: true,
        fields: [asOf],
        headline: () => `PRODUCTION restore over the live keys of s3://${config.bucket ?? ''}`,
      },
    ];
  },
  drill: () => ({ place: 'a scratch prefix lifeboat-drill/… of the bucket, as of the checkpoint', fresh: 'made' }),
  checks: () => 'compare each copy\u2019s size and ETag with the version it copies',
  describe({ config, chosen, live }) {
    if (chosen.kind === 'inPlace') {
      return {
        restore: [
          `list every version under s3://${config.bucket}/${config.prefix ?? ''} and, for each key, copy its version as of ${String(chosen.asOf ?? 'the time')} over it as a new version${live}`,
          'keys that did not exist then get a delete marker; earlier versions all stay, so this too can be undone as of a time',
          'versions in GLACIER or DEEP_ARCHIVE are not copied: the report gives the command that thaws each',
        ],
      };
    }
    return {
      restore: [
        `copy each key\u2019s version as of ${String(chosen.asOf ?? 'the time')} into s3://${chosen.value}/${String(chosen.toPrefix ?? '')}; keys absent then are skipped`,
        'each copy\u2019s size and ETag are checked; an interrupted restore resumes where it stopped',
      ],
    };
  },
};
