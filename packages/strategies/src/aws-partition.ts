/** AWS partitions by region: China and GovCloud have their own ARNs. */
export function awsPartition(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}
