/**
 * The object tag on artifacts (`PutOptions.kind === 'artifact'`): lifecycle
 * rules with `scope: artifacts` filter on it, so manifests, pins, the
 * repository marker and the run journal are never archived or expired.
 */
export const ARTIFACT_TAG = { key: 'lifeboat-kind', value: 'artifact' } as const;

/** The tag as the `x-amz-tagging` header (URL query form) of PutObject and CreateMultipartUpload. */
export const ARTIFACT_TAGGING = `${ARTIFACT_TAG.key}=${ARTIFACT_TAG.value}`;
