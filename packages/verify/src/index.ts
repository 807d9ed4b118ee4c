export { verifyChecksums, type ArtifactCheck } from './checksums.js';
