import { DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, type EC2Client } from '@aws-sdk/client-ec2';

/**
 * Who still uses an image: instances launched from it that are not
 * terminated, and the latest or default version of any launch template.
 * Deregistering it would break their replacement (an auto scaling group,
 * a restore someone is doing).
 */
export async function imageUsers(client: EC2Client, imageId: string): Promise<string[]> {
  const users: string[] = [];
  const { Reservations } = await client.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'image-id', Values: [imageId] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  for (const instance of (Reservations ?? []).flatMap((r) => r.Instances ?? [])) users.push(`instance ${instance.InstanceId} (${instance.State?.Name})`);
  for (const version of ['$Latest', '$Default']) {
    const { LaunchTemplateVersions } = await client.send(new DescribeLaunchTemplateVersionsCommand({ Versions: [version], Filters: [{ Name: 'image-id', Values: [imageId] }] }));
    for (const v of LaunchTemplateVersions ?? []) {
      const name = `launch template ${v.LaunchTemplateName ?? v.LaunchTemplateId} (version ${v.VersionNumber})`;
      if (!users.includes(name)) users.push(name);
    }
  }
  return users;
}
