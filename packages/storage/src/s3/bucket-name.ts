/**
 * S3's rules for general purpose bucket names, so a typo in the plan is caught
 * when it loads rather than by the first backup at 2 am.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */

export const BUCKET_NAME_RULES =
  'an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** What is wrong with `name` as a bucket name, or undefined when nothing is. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `has ${name.length} characters`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return 'has characters other than lowercase letters, digits, dots and hyphens, or starts or ends with a dot or hyphen';
  if (name.includes('..')) return 'has two dots in a row';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'looks like an IP address';
  const prefix = RESERVED_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix !== undefined) return `starts with ${prefix}, which S3 reserves`;
  const suffix = RESERVED_SUFFIXES.find((reserved) => name.endsWith(reserved));
  if (suffix !== undefined) return `ends with ${suffix}, which S3 reserves`;
  return undefined;
}
