import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stateful EC2 fake: an HTTP server on loopback that speaks the EC2 Query
 * API (form-encoded POST, XML answers in the 2016-11-15 namespace) for the
 * actions Lifeboat's `type: ec2` uses, so the real `@aws-sdk/client-ec2`
 * serializes, retries and parses for real. Not an emulator: only what the
 * tests need, pinned to AWS's documented behaviour in ec2-fake.test.ts.
 *
 * Regions: one fake serves every region; the region of a request is the one
 * in its SigV4 credential scope (the SDK signs with the client's region).
 */

export const EC2_FAKE_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const ACCOUNT = '123456789012';

export interface Ec2FakeVolume {
  device: string;
  sizeGiB: number;
}

export interface Ec2FakeInstanceSpec {
  region?: string;
  instanceType?: string;
  subnetId?: string;
  securityGroupIds?: string[];
  keyName?: string;
  volumes?: Ec2FakeVolume[];
  tags?: Record<string, string>;
  imageId?: string;
  state?: 'running' | 'stopped';
}

export interface Ec2FakeTag {
  Key: string;
  Value: string;
}

export interface FakeImage {
  imageId: string;
  region: string;
  name: string;
  description?: string;
  state: 'pending' | 'available' | 'failed';
  creationDate: string;
  sourceInstanceId?: string;
  sourceImageId?: string;
  sourceRegion?: string;
  kmsKeyId?: string;
  blockDevices: { device: string; snapshotId: string; sizeGiB: number }[];
  tags: Map<string, string>;
  /** Describe calls naming it that still answer InvalidAMIID.NotFound (eventual consistency). */
  hiddenPolls: number;
  /** Describe calls that still show it pending. */
  pendingPolls: number;
  stuck: boolean;
}

export interface FakeSnapshot {
  snapshotId: string;
  region: string;
  volumeId: string;
  sizeGiB: number;
  state: 'pending' | 'completed' | 'error';
  description: string;
  startTime: string;
  tags: Map<string, string>;
}

export interface FakeInstance {
  instanceId: string;
  region: string;
  imageId: string;
  instanceType: string;
  subnetId: string;
  vpcId: string;
  securityGroupIds: string[];
  keyName?: string;
  state: 'pending' | 'running' | 'stopped' | 'shutting-down' | 'terminated';
  /** Describe calls that still show it pending, then status checks initializing. */
  pendingPolls: number;
  statusPolls: number;
  volumes: { device: string; volumeId: string; sizeGiB: number }[];
  tags: Map<string, string>;
  launchTime: string;
  /** The ClientToken RunInstances was called with (DescribeInstances filter `client-token`). */
  clientToken?: string;
}

interface FakeVolume {
  volumeId: string;
  region: string;
  sizeGiB: number;
  instanceId?: string;
  device?: string;
}

interface FakeLaunchTemplate {
  id: string;
  name: string;
  region: string;
  imageId: string;
}

export interface Ec2FakeFaults {
  /** Describe calls naming a new image that answer InvalidAMIID.NotFound first (default 1). */
  hiddenPolls: number;
  /** Describe calls that show a new image (or a new instance) pending before it is available (default 1). */
  pendingPolls: number;
  /** New images never leave `pending`. */
  stuckPending: boolean;
  /** The next N requests answer 503 RequestLimitExceeded. */
  throttle: number;
  /** Only these actions are throttled (default: every action). */
  throttleActions?: string[];
  /** Actions answered 403 UnauthorizedOperation (also on DryRun). */
  denied: string[];
}

export interface Ec2FakeRequest {
  action: string;
  region: string;
  params: Record<string, string>;
}

/** A request whose answer the fake holds back: EC2 has carried it out, the caller has not heard yet. */
export interface Ec2FakeHold {
  /** Resolves once the request has been carried out and its answer is being held. */
  reached: Promise<Ec2FakeRequest>;
  /** Sends the held answer (if the caller is still listening). */
  release(): void;
}

export interface Ec2Fake {
  /** `http://127.0.0.1:PORT`: the client's `endpoint`. */
  endpoint: string;
  /** What a client must sign with (any other key gets AuthFailure). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Settings for `new EC2Client(...)` in `region`. */
  clientConfig(region: string): { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  faults: Ec2FakeFaults;
  /** Every request answered, in order. */
  requests: Ec2FakeRequest[];
  addInstance(spec?: Ec2FakeInstanceSpec): string;
  addLaunchTemplate(region: string, name: string, imageId: string): string;
  /**
   * Holds the answer to the next request of `action` (e.g. RunInstances): it
   * is carried out at once, as EC2 would, but answered only on release() —
   * a request in flight when the caller gives up on it.
   */
  hold(action: string): Ec2FakeHold;
  /** Every pending image, snapshot and instance becomes available / completed / running with checks ok. */
  settle(): void;
  images(region?: string): FakeImage[];
  snapshots(region?: string): FakeSnapshot[];
  instances(region?: string): FakeInstance[];
  stop(): Promise<void>;
}

class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Starts the fake on a free loopback port. */
export async function startEc2Fake(init: Partial<Ec2FakeFaults> = {}): Promise<Ec2Fake> {
  const credentials = { accessKeyId: 'AKIAFAKEEC2' + randomBytes(4).toString('hex').toUpperCase(), secretAccessKey: 'fake-secret' };
  const faults: Ec2FakeFaults = { hiddenPolls: 1, pendingPolls: 1, stuckPending: false, throttle: 0, denied: [], ...init };
  const requests: Ec2FakeRequest[] = [];
  const images = new Map<string, FakeImage>();
  const snapshots = new Map<string, FakeSnapshot>();
  const instances = new Map<string, FakeInstance>();
  const volumes = new Map<string, FakeVolume>();
  const templates = new Map<string, FakeLaunchTemplate>();
  const subnets = new Map<string, string>(); // subnet → vpc
  const tokens = new Map<string, unknown>(); // `${region} ${action} ${token}` → answer
  const holds = new Map<string, { reached: (request: Ec2FakeRequest) => void; released: Promise<void>; release: () => void }>();

  const id = (prefix: string) => `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
  const now = () => new Date().toISOString();

  function addInstance(spec: Ec2FakeInstanceSpec = {}): string {
    const region = spec.region ?? 'us-west-2';
    const instanceId = id('i');
    const subnetId = spec.subnetId ?? 'subnet-0fake0001';
    if (!subnets.has(subnetId)) subnets.set(subnetId, 'vpc-0fake0001');
    const vols = (spec.volumes ?? [{ device: '/dev/xvda', sizeGiB: 8 }]).map((v) => {
      const volumeId = id('vol');
      volumes.set(volumeId, { volumeId, region, sizeGiB: v.sizeGiB, instanceId, device: v.device });
      return { device: v.device, volumeId, sizeGiB: v.sizeGiB };
    });
    instances.set(instanceId, {
      instanceId,
      region,
      imageId: spec.imageId ?? 'ami-0base00000000001',
      instanceType: spec.instanceType ?? 't3.medium',
      subnetId,
      vpcId: subnets.get(subnetId)!,
      securityGroupIds: spec.securityGroupIds ?? ['sg-0fake0001'],
      ...(spec.keyName !== undefined && { keyName: spec.keyName }),
      state: spec.state ?? 'running',
      pendingPolls: 0,
      statusPolls: 0,
      volumes: vols,
      tags: new Map(Object.entries(spec.tags ?? {})),
      launchTime: now(),
    });
    return instanceId;
  }

  function hold(action: string): Ec2FakeHold {
    let reached!: (request: Ec2FakeRequest) => void;
    const reachedPromise = new Promise<Ec2FakeRequest>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    holds.set(action, { reached, released, release });
    return { reached: reachedPromise, release };
  }

  function addLaunchTemplate(region: string, name: string, imageId: string): string {
    const templateId = id('lt');
    templates.set(templateId, { id: templateId, name, region, imageId });
    return templateId;
  }

  function settle(): void {
    for (const image of images.values()) {
      image.hiddenPolls = 0;
      image.pendingPolls = 0;
      image.stuck = false;
      makeAvailable(image);
    }
    for (const instance of instances.values()) {
      instance.pendingPolls = 0;
      instance.statusPolls = 0;
      if (instance.state === 'pending') instance.state = 'running';
    }
  }

  function makeAvailable(image: FakeImage): void {
    if (image.state !== 'pending') return;
    image.state = 'available';
    for (const device of image.blockDevices) {
      const snapshot = snapshots.get(device.snapshotId);
      if (snapshot) snapshot.state = 'completed';
    }
  }

  /** One describe that shows the image: it moves one step towards available. */
  function observe(image: FakeImage): void {
    if (image.state !== 'pending' || image.stuck) return;
    if (image.pendingPolls > 0) image.pendingPolls--;
    else makeAvailable(image);
  }

  function observeInstance(instance: FakeInstance): void {
    if (instance.state === 'pending') {
      if (instance.pendingPolls > 0) instance.pendingPolls--;
      else instance.state = 'running';
    } else if (instance.state === 'running' && instance.statusPolls > 0) {
      instance.statusPolls--;
    }
  }

  // --- request parsing ------------------------------------------------------

  /** `Filter.1.Value.2` → members of `Filter` numbered 1…, each a flat map of its own keys. */
  function members(params: Record<string, string>, prefix: string): Record<string, string>[] {
    const out = new Map<number, Record<string, string>>();
    for (const [key, value] of Object.entries(params)) {
      if (!key.startsWith(prefix + '.')) continue;
      const rest = key.slice(prefix.length + 1);
      const dot = rest.indexOf('.');
      const n = Number(dot < 0 ? rest : rest.slice(0, dot));
      if (!Number.isInteger(n)) continue;
      const entry = out.get(n) ?? {};
      entry[dot < 0 ? '' : rest.slice(dot + 1)] = value;
      out.set(n, entry);
    }
    return [...out.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
  }
  const values = (params: Record<string, string>, prefix: string) => members(params, prefix).map((m) => m['']!);

  function tagSpecs(params: Record<string, string>, resourceType: string): Map<string, string> {
    const tags = new Map<string, string>();
    for (const spec of members(params, 'TagSpecification')) {
      if (spec.ResourceType !== resourceType) continue;
      for (const tag of members(spec, 'Tag')) tags.set(tag.Key ?? '', tag.Value ?? '');
    }
    return tags;
  }

  type Fields = (name: string) => string[] | undefined;
  function filtered<T>(params: Record<string, string>, items: T[], fields: (item: T) => Fields): T[] {
    const filters = members(params, 'Filter').map((f) => ({ name: f.Name ?? '', values: values(f, 'Value') }));
    return items.filter((item) =>
      filters.every(({ name, values: wanted }) => {
        const get = fields(item);
        let have: string[] | undefined;
        if (name.startsWith('tag:')) have = tagValue(get, name.slice(4));
        else have = get(name);
        if (have === undefined) throw new Ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
        return have.some((h) => wanted.some((w) => globMatch(w, h)));
      }),
    );
  }
  const tagValue = (get: Fields, key: string) => get(`tag:${key}`) ?? [];
  const tagFields = (tags: Map<string, string>) => (name: string) =>
    name.startsWith('tag:') ? (tags.has(name.slice(4)) ? [tags.get(name.slice(4))!] : []) : name === 'tag-key' ? [...tags.keys()] : undefined;

  // --- XML ------------------------------------------------------------------

  type XmlValue = string | number | boolean | undefined | XmlValue[] | { [key: string]: XmlValue };
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  function xml(value: XmlValue): string {
    if (value === undefined) return '';
    if (Array.isArray(value)) return value.map((v) => `<item>${xml(v)}</item>`).join('');
    if (typeof value === 'object') {
      return Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `<${k}>${xml(v)}</${k}>`)
        .join('');
    }
    return escape(String(value));
  }
  const tagSet = (tags: Map<string, string>) => [...tags].map(([key, value]) => ({ key, value }));

  // --- actions --------------------------------------------------------------

  type Handler = (params: Record<string, string>, region: string) => Record<string, XmlValue>;

  function imageIn(region: string, imageId: string | undefined): FakeImage {
    const image = imageId === undefined ? undefined : images.get(imageId);
    if (!image || image.region !== region) throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
    return image;
  }
  function instanceIn(region: string, instanceId: string): FakeInstance {
    if (!/^i-[0-9a-f]{8,17}$/.test(instanceId)) throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${instanceId}"`);
    const instance = instances.get(instanceId);
    if (!instance || instance.region !== region) throw new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
    return instance;
  }
  function idempotent(region: string, action: string, params: Record<string, string>, make: () => Record<string, XmlValue>) {
    const token = params.ClientToken;
    if (token === undefined) return make();
    const key = `${region} ${action} ${token}`;
    const known = tokens.get(key) as { params: string; answer: Record<string, XmlValue> } | undefined;
    const fingerprint = JSON.stringify(Object.entries(params).filter(([k]) => k !== 'ClientToken').sort());
    if (known) {
      if (known.params !== fingerprint) {
        throw new Ec2Error('IdempotentParameterMismatch', `The client token '${token}' was already used with different parameters`);
      }
      return known.answer;
    }
    const answer = make();
    tokens.set(key, { params: fingerprint, answer });
    return answer;
  }

  function newImage(region: string, fields: Omit<FakeImage, 'imageId' | 'region' | 'state' | 'creationDate' | 'hiddenPolls' | 'pendingPolls' | 'stuck' | 'blockDevices'>, sources: { device: string; volumeId: string; sizeGiB: number }[], snapshotTags: Map<string, string>): FakeImage {
    const imageId = id('ami');
    const blockDevices = sources.map((source) => {
      const snapshotId = id('snap');
      snapshots.set(snapshotId, {
        snapshotId,
        region,
        volumeId: source.volumeId,
        sizeGiB: source.sizeGiB,
        state: 'pending',
        description: fields.sourceInstanceId
          ? `Created by CreateImage(${fields.sourceInstanceId}) for ${imageId}`
          : `Copied for DestinationAmi ${imageId} from SourceAmi ${fields.sourceImageId}`,
        startTime: now(),
        tags: new Map(snapshotTags),
      });
      return { device: source.device, snapshotId, sizeGiB: source.sizeGiB };
    });
    const image: FakeImage = {
      ...fields,
      imageId,
      region,
      state: 'pending',
      creationDate: now(),
      blockDevices,
      hiddenPolls: faults.hiddenPolls,
      pendingPolls: faults.pendingPolls,
      stuck: faults.stuckPending,
    };
    images.set(imageId, image);
    return image;
  }

  const imageXml = (image: FakeImage) => ({
    imageId: image.imageId,
    imageLocation: `${ACCOUNT}/${image.name}`,
    imageState: image.state,
    imageOwnerId: ACCOUNT,
    creationDate: image.creationDate,
    isPublic: false,
    architecture: 'x86_64',
    imageType: 'machine',
    name: image.name,
    description: image.description,
    rootDeviceType: 'ebs',
    rootDeviceName: image.blockDevices[0]?.device,
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    enaSupport: true,
    sourceInstanceId: image.sourceInstanceId,
    blockDeviceMapping: image.blockDevices.map((d) => ({
      deviceName: d.device,
      ebs: { snapshotId: d.snapshotId, volumeSize: d.sizeGiB, deleteOnTermination: true, volumeType: 'gp3', encrypted: image.kmsKeyId !== undefined },
    })),
    tagSet: tagSet(image.tags),
  });

  const instanceXml = (i: FakeInstance) => ({
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: { code: STATE_CODES[i.state], name: i.state },
    privateDnsName: `ip-10-0-0-1.${i.region}.compute.internal`,
    keyName: i.keyName,
    amiLaunchIndex: 0,
    instanceType: i.instanceType,
    launchTime: i.launchTime,
    placement: { availabilityZone: `${i.region}a`, tenancy: 'default' },
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: '10.0.0.1',
    groupSet: i.securityGroupIds.map((groupId) => ({ groupId, groupName: groupId })),
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: i.volumes[0]?.device,
    blockDeviceMapping: i.volumes.map((v) => ({ deviceName: v.device, ebs: { volumeId: v.volumeId, status: 'attached', attachTime: i.launchTime, deleteOnTermination: true } })),
    clientToken: i.clientToken,
    tagSet: tagSet(i.tags),
  });

  const snapshotInUse = (snapshotId: string) => [...images.values()].find((image) => image.blockDevices.some((d) => d.snapshotId === snapshotId));

  const actions: Record<string, Handler> = {
    // CreateImage takes no ClientToken: an AMI name is unique per account and
    // region, so a retried request with the same name is InvalidAMIName.Duplicate.
    CreateImage: (params, region) => {
        const instance = instanceIn(region, params.InstanceId ?? '');
        if (params.Name === undefined) throw new Ec2Error('MissingParameter', "The request must contain the parameter 'name'");
        const taken = [...images.values()].find((image) => image.region === region && image.name === params.Name);
        if (taken) throw new Ec2Error('InvalidAMIName.Duplicate', `AMI name ${params.Name} is already in use by AMI ${taken.imageId}`);
        const sources = instance.volumes.map((v) => ({ device: v.device, volumeId: v.volumeId, sizeGiB: v.sizeGiB }));
        const image = newImage(
          region,
          {
            name: params.Name,
            ...(params.Description !== undefined && { description: params.Description }),
            sourceInstanceId: instance.instanceId,
            tags: tagSpecs(params, 'image'),
          },
          sources,
          tagSpecs(params, 'snapshot'),
        );
        return { imageId: image.imageId };
    },
    CopyImage: (params, region) =>
      idempotent(region, 'CopyImage', params, () => {
        const source = imageIn(params.SourceRegion ?? '', params.SourceImageId);
        if (source.state !== 'available') throw new Ec2Error('IncorrectState', `Image ${source.imageId} is not in a valid state for copying`);
        const tags = params.CopyImageTags === 'true' ? new Map(source.tags) : new Map<string, string>();
        for (const [k, v] of tagSpecs(params, 'image')) tags.set(k, v);
        const image = newImage(
          region,
          {
            name: params.Name ?? source.name,
            ...(params.Description !== undefined && { description: params.Description }),
            sourceImageId: source.imageId,
            sourceRegion: source.region,
            ...(params.KmsKeyId !== undefined && { kmsKeyId: params.KmsKeyId }),
            tags,
          },
          source.blockDevices.map((d) => ({ device: d.device, volumeId: 'vol-ffffffff', sizeGiB: d.sizeGiB })),
          tagSpecs(params, 'snapshot'),
        );
        return { imageId: image.imageId };
      }),
    DescribeImages: (params, region) => {
      const ids = values(params, 'ImageId');
      let found: FakeImage[];
      if (ids.length > 0) {
        found = ids.map((imageId) => {
          const image = imageIn(region, imageId);
          if (image.hiddenPolls > 0) {
            image.hiddenPolls--;
            throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
          }
          return image;
        });
      } else {
        // A listing is eventually consistent too: a new image shows up after its hidden polls.
        found = [...images.values()].filter((image) => {
          if (image.region !== region) return false;
          if (image.hiddenPolls === 0) return true;
          image.hiddenPolls--;
          return false;
        });
      }
      found = filtered(params, found, (image) => (name) =>
        tagFields(image.tags)(name) ?? (
          { 'image-id': [image.imageId], state: [image.state], name: [image.name], 'block-device-mapping.snapshot-id': image.blockDevices.map((d) => d.snapshotId) } as Record<string, string[]>
        )[name],
      );
      for (const image of found) observe(image);
      return { imagesSet: found.map(imageXml) };
    },
    DeregisterImage: (params, region) => {
      const image = imageIn(region, params.ImageId);
      images.delete(image.imageId);
      return { return: true };
    },
    DescribeSnapshots: (params, region) => {
      const ids = values(params, 'SnapshotId');
      let found = [...snapshots.values()].filter((s) => s.region === region);
      if (ids.length > 0) {
        found = ids.map((snapshotId) => {
          const snapshot = snapshots.get(snapshotId);
          if (!snapshot || snapshot.region !== region) throw new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
          return snapshot;
        });
      }
      found = filtered(params, found, (s) => (name) =>
        tagFields(s.tags)(name) ?? ({ 'snapshot-id': [s.snapshotId], status: [s.state], 'volume-id': [s.volumeId] } as Record<string, string[]>)[name],
      );
      return {
        snapshotSet: found.map((s) => ({
          snapshotId: s.snapshotId,
          volumeId: s.volumeId,
          status: s.state,
          startTime: s.startTime,
          progress: s.state === 'completed' ? '100%' : '0%',
          ownerId: ACCOUNT,
          volumeSize: s.sizeGiB,
          description: s.description,
          encrypted: false,
          storageTier: 'standard',
          tagSet: tagSet(s.tags),
        })),
      };
    },
    DeleteSnapshot: (params, region) => {
      const snapshot = snapshots.get(params.SnapshotId ?? '');
      if (!snapshot || snapshot.region !== region) throw new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${params.SnapshotId}' does not exist.`);
      const user = snapshotInUse(snapshot.snapshotId);
      if (user) throw new Ec2Error('InvalidSnapshot.InUse', `The snapshot ${snapshot.snapshotId} is currently in use by ${user.imageId}`);
      snapshots.delete(snapshot.snapshotId);
      return { return: true };
    },
    DescribeInstances: (params, region) => {
      const ids = values(params, 'InstanceId');
      let found = ids.length > 0 ? ids.map((i) => instanceIn(region, i)) : [...instances.values()].filter((i) => i.region === region);
      found = filtered(params, found, (i) => (name) =>
        tagFields(i.tags)(name) ??
        ({ 'instance-id': [i.instanceId], 'image-id': [i.imageId], 'instance-state-name': [i.state], 'subnet-id': [i.subnetId], 'client-token': i.clientToken !== undefined ? [i.clientToken] : [] } as Record<string, string[]>)[name],
      );
      for (const instance of found) observeInstance(instance);
      return {
        reservationSet: found.map((i) => ({ reservationId: `r-${i.instanceId.slice(2)}`, ownerId: ACCOUNT, groupSet: [], instancesSet: [instanceXml(i)] })),
      };
    },
    DescribeVolumes: (params, region) => {
      const ids = values(params, 'VolumeId');
      let found = [...volumes.values()].filter((v) => v.region === region && (ids.length === 0 || ids.includes(v.volumeId)));
      found = filtered(params, found, (v) => (name) =>
        ({ 'volume-id': [v.volumeId], 'attachment.instance-id': v.instanceId ? [v.instanceId] : [], 'attachment.device': v.device ? [v.device] : [] } as Record<string, string[]>)[name],
      );
      return {
        volumeSet: found.map((v) => ({
          volumeId: v.volumeId,
          size: v.sizeGiB,
          availabilityZone: `${v.region}a`,
          status: v.instanceId ? 'in-use' : 'available',
          createTime: now(),
          volumeType: 'gp3',
          encrypted: false,
          attachmentSet: v.instanceId
            ? [{ volumeId: v.volumeId, instanceId: v.instanceId, device: v.device, status: 'attached', attachTime: now(), deleteOnTermination: true }]
            : [],
        })),
      };
    },
    RunInstances: (params, region) =>
      idempotent(region, 'RunInstances', params, () => {
        const image = imageIn(region, params.ImageId);
        if (image.state !== 'available') throw new Ec2Error('InvalidAMIID.Unavailable', `The image '${image.imageId}' is not available`);
        const subnetId = params.SubnetId ?? [...subnets.keys()][0] ?? 'subnet-0fake0001';
        if (params.SubnetId !== undefined && !subnets.has(subnetId)) throw new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
        const count = Number(params.MinCount ?? '1');
        if (count !== 1 || params.MaxCount !== '1') throw new Ec2Error('InvalidParameterValue', 'The fake launches one instance at a time');
        const instanceId = addInstance({
          region,
          imageId: image.imageId,
          instanceType: params.InstanceType ?? 'm1.small',
          subnetId,
          securityGroupIds: values(params, 'SecurityGroupId'),
          ...(params.KeyName !== undefined && { keyName: params.KeyName }),
          volumes: image.blockDevices.map((d) => ({ device: d.device, sizeGiB: d.sizeGiB })),
          tags: Object.fromEntries(tagSpecs(params, 'instance')),
        });
        const instance = instances.get(instanceId)!;
        if (params.ClientToken !== undefined) instance.clientToken = params.ClientToken;
        instance.state = 'pending';
        instance.pendingPolls = faults.pendingPolls;
        instance.statusPolls = faults.pendingPolls;
        return { reservationId: `r-${instanceId.slice(2)}`, ownerId: ACCOUNT, groupSet: [], instancesSet: [instanceXml(instance)] };
      }),
    DescribeInstanceStatus: (params, region) => {
      const ids = values(params, 'InstanceId');
      const all = params.IncludeAllInstances === 'true';
      const named = ids.length > 0 ? ids.map((i) => instanceIn(region, i)) : [...instances.values()].filter((i) => i.region === region);
      // Time passes for a pending instance whether or not this answer shows it.
      for (const instance of named) observeInstance(instance);
      const found = named.filter((i) => all || i.state === 'running');
      const check = (i: FakeInstance) => {
        const status = i.state !== 'running' ? 'not-applicable' : i.statusPolls > 0 ? 'initializing' : 'ok';
        return { status, details: [{ name: 'reachability', status: status === 'ok' ? 'passed' : status === 'initializing' ? 'initializing' : 'not-applicable' }] };
      };
      return {
        instanceStatusSet: found.map((i) => ({
          instanceId: i.instanceId,
          availabilityZone: `${i.region}a`,
          instanceState: { code: STATE_CODES[i.state], name: i.state },
          systemStatus: check(i),
          instanceStatus: check(i),
        })),
      };
    },
    TerminateInstances: (params, region) => {
      const found = values(params, 'InstanceId').map((i) => instanceIn(region, i));
      return {
        instancesSet: found.map((i) => {
          const previous = i.state;
          i.state = 'terminated';
          for (const v of i.volumes) volumes.delete(v.volumeId);
          return { instanceId: i.instanceId, currentState: { code: STATE_CODES.terminated, name: 'terminated' }, previousState: { code: STATE_CODES[previous], name: previous } };
        }),
      };
    },
    DescribeLaunchTemplateVersions: (params, region) => {
      const versions = values(params, 'LaunchTemplateVersion');
      const named = params.LaunchTemplateId ?? params.LaunchTemplateName;
      if (named === undefined && !versions.every((v) => v === '$Latest' || v === '$Default')) {
        throw new Ec2Error('MissingParameter', 'The request must contain the parameter LaunchTemplateId or LaunchTemplateName');
      }
      let found = [...templates.values()].filter((t) => t.region === region && (named === undefined || t.id === named || t.name === named));
      if (named !== undefined && found.length === 0) {
        throw new Ec2Error('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${named}, does not exist.`);
      }
      found = filtered(params, found, (t) => (name) => ({ 'image-id': [t.imageId] } as Record<string, string[]>)[name]);
      return {
        launchTemplateVersionSet: found.map((t) => ({
          launchTemplateId: t.id,
          launchTemplateName: t.name,
          versionNumber: 1,
          defaultVersion: true,
          createTime: now(),
          launchTemplateData: { imageId: t.imageId },
        })),
      };
    },
  };

  // --- server ---------------------------------------------------------------

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const action = params.Action ?? '';
    const auth = req.headers.authorization ?? '';
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/ec2\/aws4_request/.exec(auth);
    const region = scope?.[2] ?? 'us-east-1';
    const requestId = randomUUID();
    try {
      if (req.method !== 'POST') throw new Ec2Error('InvalidAction', 'The EC2 Query API is POST only here', 400);
      if (!scope || scope[1] !== credentials.accessKeyId) throw new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
      if (params.Version !== '2016-11-15') throw new Ec2Error('InvalidParameterValue', `Unsupported API version ${params.Version}`);
      const handler = actions[action];
      if (!handler) throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
      requests.push({ action, region, params });
      if (faults.throttle > 0 && (!faults.throttleActions || faults.throttleActions.includes(action))) {
        faults.throttle--;
        throw new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
      }
      if (faults.denied.includes(action)) {
        throw new Ec2Error('UnauthorizedOperation', `You are not authorized to perform this operation. User: arn:aws:iam::${ACCOUNT}:user/fake is not authorized to perform: ec2:${action}`, 403);
      }
      if (params.DryRun === 'true') throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
      const body = handler(params, region);
      const held = holds.get(action);
      if (held) {
        // Carried out; the answer waits (or is lost, when the caller hangs up first).
        holds.delete(action);
        held.reached({ action, region, params });
        await Promise.race([held.released, new Promise((resolve) => res.once('close', resolve))]);
        if (res.destroyed) return;
      }
      res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_FAKE_NAMESPACE}"><requestId>${requestId}</requestId>${xml(body)}</${action}Response>`);
    } catch (error) {
      const e = error instanceof Ec2Error ? error : new Ec2Error('InternalError', error instanceof Error ? error.message : String(error), 500);
      res.writeHead(e.status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escape(e.code)}</Code><Message>${escape(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      );
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    credentials,
    clientConfig: (region) => ({ region, endpoint, credentials }),
    faults,
    requests,
    addInstance,
    addLaunchTemplate,
    hold,
    settle,
    images: (region) => [...images.values()].filter((i) => region === undefined || i.region === region),
    snapshots: (region) => [...snapshots.values()].filter((s) => region === undefined || s.region === region),
    instances: (region) => [...instances.values()].filter((i) => region === undefined || i.region === region),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        for (const held of holds.values()) held.release();
        holds.clear();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const STATE_CODES = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 } as const;

/** EC2 filter values take `*` and `?` wildcards. */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(value);
}
