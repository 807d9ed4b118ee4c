import type { ComponentPlan, IamStatement } from '@lifeboat/core';
import { regionsOf, type Ec2Config } from './config.js';
import { awsPartition as partition } from '../aws-partition.js';
import { TAG } from './tags.js';

/**
 * What an ec2 component needs, by action. Describe* calls take no resource
 * (EC2 does not scope them); everything that changes or deletes is limited
 * to the instance the plan names, or to images, snapshots and instances
 * carrying this component's Lifeboat tags.
 */
export function ec2IamStatements({ planName, component, config }: { planName: string; component: string; config: ComponentPlan & Ec2Config }): {
  statements: IamStatement[];
  notes: string[];
} {
  const sid = (name: string) => `Lifeboat${name}${component.replace(/[^A-Za-z0-9]/g, '')}`;
  const regions = regionsOf(config);
  const arn = (region: string, type: string, id = '*', account = '*') => `arn:${partition(region)}:ec2:${region}:${type === 'image' || type === 'snapshot' ? '' : account}:${type}/${id}`;
  const owned = { StringEquals: { [`aws:ResourceTag/${TAG.plan}`]: planName, [`aws:ResourceTag/${TAG.component}`]: component } };
  const notes: string[] = [];
  const instance = config.instanceId !== undefined ? arn(config.region, 'instance', config.instanceId) : arn(config.region, 'instance');
  if (config.instanceId === undefined) notes.push(`${component} picks its instance by tags, so CreateImage is allowed on any instance in ${config.region}: name the instance ARN to narrow it`);
  const statements: IamStatement[] = [
    {
      Sid: sid('Ec2Describe'),
      Effect: 'Allow',
      Action: ['ec2:DescribeImages', 'ec2:DescribeInstanceStatus', 'ec2:DescribeInstances', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeSnapshots', 'ec2:DescribeVolumes'],
      Resource: ['*'],
    },
    {
      Sid: sid('Ec2CreateImage'),
      Effect: 'Allow',
      Action: ['ec2:CreateImage'],
      Resource: [instance, arn(config.region, 'image'), arn(config.region, 'snapshot')],
    },
    {
      Sid: sid('Ec2TagWhatItMakes'),
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: regions.flatMap((r) => [arn(r, 'image'), arn(r, 'snapshot'), arn(r, 'instance')]),
      Condition: { StringEquals: { 'ec2:CreateAction': ['CreateImage', 'CopyImage', 'RunInstances'] } },
    },
    {
      Sid: sid('Ec2RemoveItsOwnImages'),
      Effect: 'Allow',
      Action: ['ec2:DeleteSnapshot', 'ec2:DeregisterImage'],
      Resource: regions.flatMap((r) => [arn(r, 'image'), arn(r, 'snapshot')]),
      Condition: owned,
    },
    {
      Sid: sid('Ec2LaunchForRestoreAndDrill'),
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: regions.flatMap((r) => [arn(r, 'image'), arn(r, 'instance'), arn(r, 'volume'), arn(r, 'network-interface'), arn(r, 'subnet'), arn(r, 'security-group'), arn(r, 'key-pair')]),
    },
    {
      Sid: sid('Ec2TerminateDrillInstances'),
      Effect: 'Allow',
      Action: ['ec2:TerminateInstances'],
      Resource: regions.map((r) => arn(r, 'instance')),
      Condition: { StringEquals: { [`aws:ResourceTag/${TAG.component}`]: component } },
    },
  ];
  const copies = config.copyTo.filter((c) => c.region !== config.region);
  if (copies.length > 0) {
    statements.push({ Sid: sid('Ec2CopyImage'), Effect: 'Allow', Action: ['ec2:CopyImage'], Resource: copies.flatMap((c) => [arn(c.region, 'image'), arn(c.region, 'snapshot'), arn(config.region, 'image')]) });
  }
  const kms = copies.flatMap((c) => (c.kmsKeyId ? [c.kmsKeyId] : []));
  if (kms.length > 0) {
    const arns = kms.filter((k) => k.startsWith('arn:'));
    if (arns.length < kms.length) notes.push(`KMS keys named by alias or id (${kms.filter((k) => !k.startsWith('arn:')).join(', ')}) cannot be an IAM resource; the policy allows any key used through EC2: replace "*" with the key ARNs`);
    statements.push({
      Sid: sid('Ec2EncryptCopies'),
      Effect: 'Allow',
      Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      Resource: arns.length === kms.length ? arns : ['*'],
      Condition: { StringEquals: { 'kms:ViaService': copies.map((c) => `ec2.${c.region}.amazonaws.com`) } },
    });
  }
  return { statements, notes };
}
