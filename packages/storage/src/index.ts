export { FsStorage } from './fs/fs-adapter.js';
export { fsStorageType } from './fs/fs-type.js';
