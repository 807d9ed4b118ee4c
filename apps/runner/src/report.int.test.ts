import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { formatDuration } from '@lifeboat/core';
import type { AuditReport } from '@lifeboat/verify';
import { lifeboat, eachWorkspace } from './test/harness.js';

const run = promisify(execFile);

/** Debian's chromium, headless; as root it needs --no-sandbox. Missing, the test fails and says to run tooling/bootstrap.sh. */
async function chromium(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('chromium is not installed; run tooling/bootstrap.sh (it installs Debian\u2019s chromium)');
    throw err;
  }
}

describe('lifeboat report', () => {
  const ws = eachWorkspace();

  test('the HTML report opens in headless Chromium, and the figures in the rendered page equal the JSON', async () => {
    await mkdir(join(ws.dir, 'etc'));
    await writeFile(join(ws.dir, 'etc', 'app.conf'), 'listen 443\n');
    const key = await lifeboat(['keys', 'generate', '--out', join(ws.dir, 'age.key')], { lockDir: ws.lockDir });
    await ws.writePlan(`version: 1
name: report-test
destinations:
  primary: { type: fs, path: ${JSON.stringify(join(ws.dir, 'primary'))}, medium: disk }
  offsite: { type: fs, path: ${JSON.stringify(join(ws.dir, 'offsite'))}, medium: object-storage, offsite: true }
encryption:
  recipients: [${key.stdout.trim()}]
  identity: file:age.key
components:
  config:
    type: files
    paths: [etc]
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 1h
    destinations: [primary, offsite]
    drill: { target: ephemeral }
`);
    const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir });
    for (const step of [['backup'], ['verify'], ['drill']]) expect((await cli(...step)).exitCode, step[0]).toBe(0);

    const json = await cli('report', '--format', 'json');
    expect(json.exitCode).toBe(0);
    const report = JSON.parse(json.stdout) as AuditReport;
    expect(report.version).toBe(1);
    const [config] = report.components;
    expect(config!.rpo.actualMs).toBeGreaterThanOrEqual(0);
    expect(config!.rto.actualMs).toBeGreaterThan(0);
    expect(report.controls.find((c) => c.id === 'backup-encrypted')!.compliance).toBe('compliant');
    expect(report.evidence.backups[0]!.manifestSha256).toMatch(/^[0-9a-f]{64}$/);

    const html = join(ws.dir, 'report.html');
    const written = await cli('report', '--out', html);
    expect(written.exitCode).toBe(0);
    expect(written.stdout).toMatch(/^wrote .*report\.html: 1 components, controls \d+ compliant/);

    const png = join(ws.dir, 'report.png');
    await chromium(['--window-size=1200,1800', `--screenshot=${png}`, `file://${html}`]);
    expect((await readFile(png)).subarray(1, 4).toString()).toBe('PNG');
    expect((await stat(png)).size).toBeGreaterThan(10_000);

    // The page as Chromium rendered it: every figure cell against the JSON (run at another moment, so compare the stable figures).
    const dom = await chromium(['--dump-dom', `file://${html}`]);
    const cell = (figure: string) => {
      const m = new RegExp(`<td[^>]*data-figure="${figure}" data-component="config"(?: data-ms="(\\d+)")?>([^<]*)</td>`).exec(dom);
      expect(m, figure).not.toBeNull();
      return { ms: m![1] === undefined ? undefined : Number(m![1]), text: m![2] };
    };
    expect(cell('rpo-target')).toEqual({ ms: config!.rpo.targetMs, text: formatDuration(config!.rpo.targetMs) });
    expect(cell('rto-target')).toEqual({ ms: config!.rto.targetMs, text: formatDuration(config!.rto.targetMs) });
    expect(cell('rto-actual')).toEqual({ ms: config!.rto.actualMs, text: formatDuration(config!.rto.actualMs!) });
    expect(cell('rpo-actual').text).toBe(formatDuration(cell('rpo-actual').ms!));
    expect(cell('backups').text).toBe(String(config!.rpo.backups));
    expect(cell('rpo-compliance').text).toBe(config!.rpo.compliance);
    expect(cell('rto-compliance').text).toBe(config!.rto.compliance);
    for (const control of report.controls) expect(dom).toContain(`data-figure="control" data-component="${control.id}">${control.compliance}</td>`);
    expect(dom).toContain(`<span data-figure="summary-compliant">${report.summary.compliant}</span>`);
    expect(dom).toContain('<svg id="rto-chart"');

    const csv = await cli('report', '--format', 'csv');
    expect(csv.stdout.split('\n')).toContain(`rto,rto,config,3600000,${config!.rto.actualMs},compliant,last drill ${config!.rto.lastDrillAt}`);
    expect((await cli('report', '--since', 'soon')).exitCode).toBe(2);
  });
});
