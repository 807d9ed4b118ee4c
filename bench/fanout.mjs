// One read, every destination: the same backup stream written to one fs
// destination, then to two, alternating, 3 runs each. Goal (issue 3): two
// destinations take at most 1.15x the time of one. Writes docs/benchmarks-fanout.md.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { fanout } from '../packages/core/dist/index.js';
import { FsStorage } from '../packages/storage/dist/index.js';
import { log, median } from './lib.mjs';

const BYTES = Number(process.env.BENCH_FANOUT_BYTES ?? 1024 ** 3);
const RUNS = 3;

/** Deterministic, incompressible bytes, generated as they are read. */
function source(total) {
  let sent = 0;
  let seed = 7;
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const size = Math.min(1 << 20, total - sent);
      const chunk = Buffer.allocUnsafe(size);
      for (let i = 0; i + 4 <= size; i += 4) {
        seed = (Math.imul(seed, 1103515245) + 12345) | 0;
        chunk.writeInt32LE(seed, i);
      }
      sent += size;
      this.push(chunk);
    },
  });
}

async function once(destinations, dir, run) {
  const targets = [];
  for (let i = 0; i < destinations; i++) targets.push({ name: `d${i}`, adapter: new FsStorage(join(dir, `run${run}-d${i}`)), key: 'component/backup/artifact' });
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = process.hrtime.bigint();
  await fanout(source(BYTES), targets, { compress: false });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  for (const t of targets) await rm(t.adapter.root, { recursive: true, force: true });
  return { seconds, peakMiB: peak / 1024 ** 2 };
}

const dir = await mkdtemp(join(tmpdir(), 'lifeboat-bench-fanout-'));
const load0 = loadavg().map((l) => l.toFixed(2)).join(' ');
const results = { 1: [], 2: [] };
try {
  for (let run = 0; run < RUNS; run++) {
    for (const n of [1, 2]) {
      log(`run ${run + 1}/${RUNS}: ${BYTES / 1024 ** 2} MiB to ${n} destination(s)`);
      const r = await once(n, dir, run);
      log(`  ${r.seconds.toFixed(2)} s, peak RSS ${r.peakMiB.toFixed(1)} MiB`);
      results[n].push(r);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const one = median(results[1].map((r) => r.seconds));
const two = median(results[2].map((r) => r.seconds));
const ratio = two / one;
const doc = `# Benchmark: one read, two destinations

\`pnpm bench:fanout\` — the fan-out of \`@lifeboat/core\` writing the same ${BYTES / 1024 ** 2} MiB generated
(incompressible) stream to one fs destination, then to two, alternating, ${RUNS} runs each. Each
destination writes through a temp file, fsyncs and renames, as in a real backup.

- Date: ${new Date().toISOString()}
- Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}
- Both destinations are folders on the same disk, so the second one doubles the bytes written to it;
  with destinations on different devices (a local disk and S3) the slower one sets the pace instead.
- Load average at the start ${load0}, at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}

| destinations | runs (s) | median (s) | peak RSS (MiB) |
|---|---|---|---|
| 1 | ${results[1].map((r) => r.seconds.toFixed(2)).join(', ')} | ${one.toFixed(2)} | ${Math.max(...results[1].map((r) => r.peakMiB)).toFixed(1)} |
| 2 | ${results[2].map((r) => r.seconds.toFixed(2)).join(', ')} | ${two.toFixed(2)} | ${Math.max(...results[2].map((r) => r.peakMiB)).toFixed(1)} |

| ratio two / one | goal | met? |
|---|---|---|
| ${ratio.toFixed(2)}× | ≤ 1.15× | ${ratio <= 1.15 ? 'yes' : '**no**'} |
`;
const out = fileURLToPath(new URL('../docs/benchmarks-fanout.md', import.meta.url));
await writeFile(out, doc);
log(`wrote ${out}: ratio ${ratio.toFixed(2)}x`);
