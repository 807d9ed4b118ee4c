/** Where systemd reads the units an administrator installs. */
export const DEFAULT_UNIT_DIR = '/etc/systemd/system';
