import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eachWorkspace, lifeboat } from './test/harness.js';
import { activators } from './systemd/install.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const EXAMPLES = path.join(REPO, 'examples');
/** The plans with golden units: the two examples, and one with schedule: continuous components. */
const PLANS = ['examples/civicq.yaml', 'examples/demo.yaml', 'apps/runner/src/test/plans/continuous.yaml'];
const planPath = (plan: string) => path.join(REPO, plan);
/** The golden folder of a plan: its name without .yaml. */
const goldenOf = (plan: string) => path.basename(plan, '.yaml');

/** The generated files, by name; absolute paths of this checkout read as /srv/lifeboat so the goldens hold anywhere. */
async function generated(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) files.set(name, (await readFile(path.join(dir, name), 'utf8')).replaceAll(REPO, '/srv/lifeboat'));
  return files;
}

/** systemd-analyze verify on every unit in `dir` (the template as an instance); its complaints, empty when all pass. */
function systemdVerify(dir: string, names: string[]): { status: number | null; output: string } {
  const args = names.map((n) => path.join(dir, n.replace('@.service', '@lifeboat-backup-database.service.service')));
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', ...args], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  if (result.error) throw new Error(`systemd-analyze could not run (install Debian's systemd package; tooling/bootstrap.sh does): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe('lifeboat systemd generate', () => {
  const ws = eachWorkspace();

  it.each(PLANS)('%s: the units equal the golden files', async (example) => {
    const out = path.join(ws.dir, 'units');
    const run = await lifeboat(['--plan', planPath(example), 'systemd', 'generate', '--out', out], { lockDir: ws.lockDir });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const files = await generated(out);
    expect([...files.keys()]).toMatchSnapshot();
    for (const [name, text] of files) await expect(text).toMatchFileSnapshot(`./systemd/golden/${goldenOf(example)}/${name}`);
  });

  it.each(PLANS)('%s: every unit passes systemd-analyze verify', async (example) => {
    const out = path.join(ws.dir, 'units');
    // verify checks that ExecStart's program exists and is executable.
    const exec = path.join(ws.dir, 'bin', 'lifeboat');
    await mkdir(path.dirname(exec), { recursive: true });
    await writeFile(exec, '#!/bin/sh\nexit 0\n');
    await chmod(exec, 0o755);
    const run = await lifeboat(['--plan', planPath(example), 'systemd', 'generate', '--out', out, '--exec', exec], { lockDir: ws.lockDir });
    expect(run.exitCode).toBe(0);
    const names = await readdir(out);
    await cp(path.join(out, 'lifeboat-notify@.service'), path.join(out, 'lifeboat-notify@lifeboat-backup-database.service.service'));
    expect(names.filter((n) => n.endsWith('.timer')).length).toBeGreaterThan(3);
    expect(systemdVerify(out, names)).toEqual({ status: 0, output: '' });
  });

  it('systemd-analyze verify does complain about a broken unit (so the check above can fail)', async () => {
    const out = path.join(ws.dir, 'units');
    await lifeboat(['--plan', path.join(EXAMPLES, 'civicq.yaml'), 'systemd', 'generate', '--out', out, '--exec', '/bin/true'], { lockDir: ws.lockDir });
    const timer = path.join(out, 'lifeboat-prune.timer');
    await writeFile(timer, (await readFile(timer, 'utf8')).replace(/^OnCalendar=.*$/m, 'OnCalendar=*-*-* 25:00:00 UTC'));
    expect(systemdVerify(out, ['lifeboat-prune.timer']).output).toContain('Failed to parse calendar specification');
  });

  it('the schedules: fields choose the timers, the zone and the delay; off leaves a timer out', async () => {
    await ws.writePlan(`version: 1
name: t
destinations: { local: { type: fs, path: ./backups } }
schedules:
  timeZone: Europe/Berlin
  randomizedDelay: 2m
  verify: { schedule: "15 4 * * 1-5", sample: 20 }
  drill: { schedule: off }
  status: { schedule: "*/10 * * * *", prometheus: /var/lib/node_exporter/textfile/lifeboat.prom }
components:
  config: { type: files, paths: [./etc, "./cron/*.conf"], schedule: "0 12 13 * 5", rpo: 7d, rto: 1h, destinations: [local], drill: { target: ephemeral } }
`);
    const run = await lifeboat(['--plan', ws.plan, 'systemd', 'generate'], { lockDir: ws.lockDir });
    expect(run.exitCode).toBe(0);
    const out = run.stdout;
    expect(out).toContain(`### /etc/systemd/system/lifeboat-backup-config.timer`);
    expect(out).toContain('OnCalendar=Fri *-*-* 12:00:00 Europe/Berlin\nOnCalendar=*-*-13 12:00:00 Europe/Berlin\n');
    expect(out).toContain('RandomizedDelaySec=120');
    expect(out).toContain(`ExecStart=/usr/local/bin/lifeboat --plan ${ws.plan} verify --sample 20`);
    expect(out).toContain('OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 04:15:00 Europe/Berlin');
    expect(out).not.toContain('lifeboat-drill');
    expect(out).toContain('status --notify --prometheus /var/lib/node_exporter/textfile/lifeboat.prom');
    expect(out).toContain('ReadWritePaths=-/var/lib/node_exporter/textfile\n');
    expect(out).toContain(`ReadWritePaths=-${path.join(ws.dir, 'backups')}\n`);
    expect(out).toContain('SuccessExitStatus=3 75');
  });

  it('on-change: a .path unit on the listed paths and a slow safety timer; globs only in a comment', async () => {
    await ws.writePlan(`version: 1
name: t
destinations: { local: { type: fs, path: ./backups } }
components:
  config: { type: files, paths: [./etc, "./cron/*.conf"], schedule: on-change, rpo: 0, rto: 1h, destinations: [local] }
`);
    const run = await lifeboat(['--plan', ws.plan, 'systemd', 'generate'], { lockDir: ws.lockDir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`[Path]\nPathChanged=${path.join(ws.dir, 'etc')}\nUnit=lifeboat-backup-config.service\n`);
    expect(run.stdout).toContain(`#   ${path.join(ws.dir, 'cron/*.conf')}`);
    expect(run.stdout).toContain('OnCalendar=*-*-* *:00:00 UTC');
  });

  it('refuses a schedule systemd cannot express, naming the component and the expression; nothing is written', async () => {
    await ws.writePlan(`version: 1
name: t
destinations: { local: { type: fs, path: ./backups } }
components:
  config: { type: files, paths: [./etc], schedule: "0 2 L * *", rpo: 31d, rto: 1h, destinations: [local] }
`);
    const out = path.join(ws.dir, 'units');
    const run = await lifeboat(['--plan', ws.plan, 'systemd', 'generate', '--out', out], { lockDir: ws.lockDir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      `lifeboat: ${ws.plan}: components.config.schedule "0 2 L * *" cannot be a systemd timer: its day-of-month field "L" uses "L", which systemd calendar events cannot express; use numbers, names, ranges (a-b), lists and steps (*/n) only\n`,
    );
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a relative --exec', async () => {
    const run = await lifeboat(['--plan', path.join(EXAMPLES, 'civicq.yaml'), 'systemd', 'generate', '--exec', 'bin/lifeboat'], { lockDir: ws.lockDir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--exec bin/lifeboat: expected the absolute path of the installed lifeboat launcher');
  });
});

/** A fake systemctl on PATH: logs its arguments, answers is-system-running with `state`. */
async function fakeSystemctl(dir: string, state: string): Promise<{ env: Record<string, string>; calls: () => Promise<string[]> }> {
  const bin = path.join(dir, 'fake-bin');
  const log = path.join(dir, 'systemctl.log');
  await mkdir(bin, { recursive: true });
  await writeFile(
    path.join(bin, 'systemctl'),
    `#!/bin/sh
echo "$*" >> ${JSON.stringify(log)}
case "$1" in
  is-system-running) echo ${state}; [ ${state} = running ] ;;
  list-timers) echo "NEXT LEFT LAST PASSED UNIT ACTIVATES"; shift 3; for t in "$@"; do echo "- - - - $t"; done ;;
esac
`,
  );
  await chmod(path.join(bin, 'systemctl'), 0o755);
  return {
    env: { PATH: `${bin}:${process.env.PATH}` },
    calls: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}

describe('lifeboat systemd install / uninstall with a fake systemctl', () => {
  const ws = eachWorkspace();
  const civicq = path.join(EXAMPLES, 'civicq.yaml');

  it('install writes the units and a record, reloads, enables the timers and path units, and shows list-timers; uninstall removes exactly those', async () => {
    const systemctl = await fakeSystemctl(ws.dir, 'running');
    const unitDir = path.join(ws.dir, 'system');
    await mkdir(unitDir);
    await writeFile(path.join(unitDir, 'other.service'), '[Service]\nExecStart=/bin/true\n');

    const install = await lifeboat(['--plan', civicq, 'systemd', 'install', '--unit-dir', unitDir], { lockDir: ws.lockDir, env: systemctl.env });
    expect(install.stderr).toBe('');
    expect(install.exitCode).toBe(0);
    const units = (await readdir(unitDir)).filter((n) => n.startsWith('lifeboat-') && n !== 'lifeboat-units.json').sort();
    expect(units).toContain('lifeboat-backup-database.timer');
    const record = JSON.parse(await readFile(path.join(unitDir, 'lifeboat-units.json'), 'utf8')) as { plan: string; units: Array<{ name: string }> };
    expect(record.plan).toBe(civicq);
    expect(record.units.map((u) => u.name).sort()).toEqual(units);
    const timersAndPaths = units.filter((n) => n.endsWith('.timer') || n.endsWith('.path'));
    expect(await systemctl.calls()).toEqual([
      'is-system-running',
      'daemon-reload',
      `enable --now ${record.units.map((u) => u.name).filter((n) => timersAndPaths.includes(n)).join(' ')}`,
      `list-timers --all --no-pager ${record.units.map((u) => u.name).filter((n) => n.endsWith('.timer')).join(' ')}`,
    ]);
    expect(install.stdout).toContain('- - - - lifeboat-backup-database.timer');

    const uninstall = await lifeboat(['systemd', 'uninstall', '--unit-dir', unitDir], { lockDir: ws.lockDir, env: systemctl.env });
    expect(uninstall.stderr).toBe('');
    expect(uninstall.exitCode).toBe(0);
    expect(await readdir(unitDir)).toEqual(['other.service']);
    expect((await systemctl.calls()).slice(4)).toEqual(['is-system-running', `disable --now ${record.units.map((u) => u.name).filter((n) => timersAndPaths.includes(n)).join(' ')}`, 'daemon-reload']);
  });

  it('uninstall leaves a unit changed since install in place, says so and exits 1', async () => {
    const systemctl = await fakeSystemctl(ws.dir, 'running');
    const unitDir = path.join(ws.dir, 'system');
    expect((await lifeboat(['--plan', civicq, 'systemd', 'install', '--unit-dir', unitDir], { lockDir: ws.lockDir, env: systemctl.env })).exitCode).toBe(0);
    const edited = path.join(unitDir, 'lifeboat-prune.timer');
    await writeFile(edited, (await readFile(edited, 'utf8')) + '# mine\n');
    const uninstall = await lifeboat(['systemd', 'uninstall', '--unit-dir', unitDir], { lockDir: ws.lockDir, env: systemctl.env });
    expect(uninstall.exitCode).toBe(1);
    expect(uninstall.stderr).toContain(`${edited} changed since lifeboat installed it and was left in place`);
    expect((await readdir(unitDir)).sort()).toEqual(['lifeboat-prune.timer', 'lifeboat-units.json']);
  });

  it('install refuses to overwrite a unit it did not install; nothing is written', async () => {
    const systemctl = await fakeSystemctl(ws.dir, 'running');
    const unitDir = path.join(ws.dir, 'system');
    await mkdir(unitDir);
    await writeFile(path.join(unitDir, 'lifeboat-backup-redis.service'), '[Service]\nExecStart=/bin/true\n');
    const install = await lifeboat(['--plan', civicq, 'systemd', 'install', '--unit-dir', unitDir], { lockDir: ws.lockDir, env: systemctl.env });
    expect(install.exitCode).toBe(2);
    expect(install.stderr).toContain(`${path.join(unitDir, 'lifeboat-backup-redis.service')} already exists and was not installed by lifeboat; nothing was changed`);
    expect(await readdir(unitDir)).toEqual(['lifeboat-backup-redis.service']);
  });

  it('where PID 1 is not systemd (systemctl says offline), install says so, exits 1 and writes nothing', async () => {
    const systemctl = await fakeSystemctl(ws.dir, 'offline');
    const unitDir = path.join(ws.dir, 'system');
    const install = await lifeboat(['--plan', civicq, 'systemd', 'install', '--unit-dir', unitDir], { lockDir: ws.lockDir, env: systemctl.env });
    expect(install.exitCode).toBe(1);
    expect(install.stderr).toBe(
      'lifeboat: systemd is not running on this host (PID 1 is not systemd), so timers cannot be installed here; nothing was changed — use lifeboat systemd generate --out DIR to write the units\n',
    );
    await expect(readdir(unitDir)).rejects.toThrow(/ENOENT/);
    expect(await systemctl.calls()).toEqual(['is-system-running']);
  });

  it('--dry-run prints the files and touches nothing, not even systemctl', async () => {
    const systemctl = await fakeSystemctl(ws.dir, 'running');
    const unitDir = path.join(ws.dir, 'system');
    const run = await lifeboat(['--plan', civicq, 'systemd', 'install', '--dry-run', '--unit-dir', unitDir], { lockDir: ws.lockDir, env: systemctl.env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`### ${path.join(unitDir, 'lifeboat-backup-database.service')}\n`);
    expect(run.stdout).toContain('# dry run: nothing was written');
    await expect(readdir(unitDir)).rejects.toThrow(/ENOENT/);
    expect(await systemctl.calls()).toEqual([]);
  });

  it('uninstall with nothing recorded exits 1 and says where it looked', async () => {
    const run = await lifeboat(['systemd', 'uninstall', '--unit-dir', ws.dir], { lockDir: ws.lockDir });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe(`lifeboat: no lifeboat units are recorded in ${ws.dir} (no lifeboat-units.json), so nothing was removed; pass --unit-dir if they were installed elsewhere\n`);
  });
});


describe('schedule: continuous as systemd units', () => {
  const ws = eachWorkspace();

  it('a pitr.async component gets a pusher service kept up by Restart= as the spool owner, enabled by install; base backups on pitr.baseBackups', async () => {
    const run = await lifeboat(['--plan', planPath(PLANS[2]!), 'systemd', 'generate'], { lockDir: ws.lockDir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`ExecStart=/usr/local/bin/lifeboat --plan ${planPath(PLANS[2]!)} wal pusher database --forever\n`);
    const pusher = run.stdout.split('### ').find((unit) => unit.startsWith('/etc/systemd/system/lifeboat-wal-pusher-database.service\n'))!;
    for (const line of ['Type=exec', 'User=postgres', 'Restart=on-failure', 'RestartSec=10s', 'ProtectSystem=strict', 'WantedBy=multi-user.target']) expect(pusher).toContain(`\n${line}\n`);
    expect(run.stdout).toContain('ReadWritePaths=-/var/spool/lifeboat/database\n');
    expect(run.stdout).toContain('Description=Lifeboat: back up database at "0 2 * * 0" (Europe/Berlin) (plan fleet)');
    // Synchronous archiving: no daemon, a note that archive_command does it.
    expect(run.stdout).not.toContain('lifeboat-wal-pusher-analytics');
    expect(run.stdout).toContain("# schedule: continuous: PostgreSQL's archive_command runs lifeboat wal push analytics %p for every WAL segment\n");
    const names = [...run.stdout.matchAll(/^### \/etc\/systemd\/system\/(\S+)$/gm)].map((m) => m[1]!);
    expect(activators(names)).toContain('lifeboat-wal-pusher-database.service');
    expect(activators(names).filter((n) => n.endsWith('.service'))).toEqual(['lifeboat-wal-pusher-database.service']);
  });
});
