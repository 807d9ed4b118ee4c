#!/usr/bin/env node
// `pnpm package`: a self-contained release of the `lifeboat` CLI, for servers
// without the source tree. One bundled file (every dependency inside, the TUI
// too) and a launcher, as a tarball laid out for /usr/local:
//
//   bin/lifeboat                  sh launcher: exec node …/lib/lifeboat/lifeboat.mjs
//   lib/lifeboat/lifeboat.mjs     the bundle (esbuild, ESM, Node 20)
//   lib/lifeboat/BUILD            version and build, as --version says them
//
//   node scripts/package.mjs [--out DIR]     (default: <repo>/release)
//
// Install: tar -xzf lifeboat-<version>-<commit>.tar.gz -C /usr/local
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const app = path.resolve(here, '..');
const repo = path.resolve(app, '../..');
const outFlag = process.argv.indexOf('--out');
const out = path.resolve(outFlag > 0 ? process.argv[outFlag + 1] : path.join(repo, 'release'));

const version = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')).version;
const git = (...args) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
let commit;
try {
  commit = git('rev-parse', '--short=12', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no') ? '-dirty' : '');
} catch {
  commit = 'unknown';
}
const buildText = `${commit}, ${new Date().toISOString().slice(0, 10)}`;

const stage = path.join(out, `lifeboat-${version}`);
rmSync(stage, { recursive: true, force: true });
mkdirSync(path.join(stage, 'bin'), { recursive: true });
mkdirSync(path.join(stage, 'lib/lifeboat'), { recursive: true });

// Ink imports React's devtools (only used with DEV=true) from a module the
// bundle would load eagerly: a stub keeps the release free of it.
const withoutDevtools = {
  name: 'without-react-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };', loader: 'js' }));
  },
};

// Code of dependencies that the release never runs, left out so that start-up does not load it: each entry keeps
// `keep` of a file in place of the rest, or puts `to` in place of `from`. The text is checked, so an upgrade that
// changes it (or moves the file) fails the build rather than quietly keeping the code or breaking the package.
const leftOut = [
  {
    // pg asks at load whether it runs in a Cloudflare Worker: without `navigator` (node 20) by making a
    // `new Response()`, whose first use loads node's fetch (undici), ~35 ms of every command that loads pg. Under
    // node the answer is always no (its Response drops the `cf` init field; node 21+ has a navigator whose
    // userAgent is "Node.js/…"), and the release runs under node only: it takes pg's node branch without asking.
    file: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/,
    from: 'if (isCloudflareRuntime()) {',
    to: 'if (false) {',
  },
  {
    // zod's namespace re-exports every locale as `z.locales` (~340 KB of the chunk every command loads); Lifeboat
    // never calls z.config(z.locales.…()), and English, the default, is imported by zod's schemas themselves.
    file: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/,
    keep: 'export { default as en } from "./en.js";',
  },
];
const leftOutOf = new Set();
const withoutUnusedCode = {
  name: 'without-unused-code',
  setup(b) {
    for (const entry of leftOut) {
      const { file, from, to, keep } = entry;
      b.onLoad({ filter: file }, async (args) => {
        leftOutOf.add(entry);
        const text = await readFile(args.path, 'utf8');
        const needed = keep ?? from;
        if (!text.includes(needed)) throw new Error(`${args.path} no longer holds ${JSON.stringify(needed)}: see what scripts/package.mjs leaves out of it`);
        return { contents: keep ?? text.replace(from, to), loader: 'js' };
      });
    }
  },
};

// A split bundle turns `await import('cjs-package')` into a chunk whose only export is `default`, so
// `const { Redis } = await import('ioredis')` would find no Redis (node itself gives CommonJS modules their named
// exports). Each CommonJS package that is imported dynamically goes through a small ES module that names them.
const require = createRequire(import.meta.url);
const namedCommonJsExports = {
  name: 'named-commonjs-exports',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined;
      const resolved = await b.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, importer: args.importer });
      if (resolved.errors.length > 0 || resolved.external) return undefined;
      let loaded;
      try {
        // Loading it here is how its export names are known.
        loaded = require(resolved.path);
      } catch {
        return undefined;
      }
      // An ES module (node's require gives its namespace, or refuses it) keeps its own exports.
      if (loaded?.[Symbol.toStringTag] === 'Module') return undefined;
      const names = Object.keys(loaded).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
      return { path: resolved.path, namespace: 'named-commonjs', pluginData: { names } };
    });
    b.onLoad({ filter: /.*/, namespace: 'named-commonjs' }, (args) => ({
      contents: `import m from ${JSON.stringify(args.path)};\nexport default m;\nexport const { ${args.pluginData.names.join(', ')} } = m;\n`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: { lifeboat: path.join(app, 'src/bin.ts') },
  outdir: path.join(stage, 'lib/lifeboat'),
  outExtension: { '.js': '.mjs' },
  // Split at every import(): a command, a kind's runtime, the TUI and the AWS SDK are chunks loaded when used, so
  // start-up parses what the command needs, not the whole 10 MB.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Straight from the TypeScript sources of every workspace package, as the tests read them.
  conditions: ['@lifeboat/source'],
  define: { LIFEBOAT_VERSION: JSON.stringify(version), LIFEBOAT_BUILD: JSON.stringify(buildText) },
  // pg's optional native binding, required lazily and only when asked for.
  external: ['pg-native'],
  plugins: [withoutDevtools, withoutUnusedCode, namedCommonJsExports],
  // CommonJS dependencies call require() for Node's own modules; an ES module has none.
  banner: { js: "import { createRequire as __lifeboatRequire } from 'node:module'; const require = __lifeboatRequire(import.meta.url);" },
  legalComments: 'linked',
  logLevel: 'warning',
});

const missed = leftOut.filter((entry) => !leftOutOf.has(entry));
if (missed.length > 0) throw new Error(`scripts/package.mjs: no file of the bundle matched ${missed.map((e) => e.file).join(', ')}: see what it leaves out`);

// The same setting as the WAL prefetcher's (packages/strategies/src/postgres/wal/prefetch-folder.ts, PREFETCHER_MALLOC).
const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456';
writeFileSync(
  path.join(stage, 'bin/lifeboat'),
  `#!/bin/sh
# Lifeboat ${version} (build ${buildText}): runs the bundle installed beside this folder.
# Where it is installed: through a link (such as /usr/local/bin/lifeboat) to this file, else its own folder,
# found without starting a process (readlink and dirname took 16 ms of every call, an archive_command's included).
self=$0
if [ -L "$self" ]; then self=$(readlink -f "$self"); fi
case $self in */*) here=\${self%/*} ;; *) here=. ;; esac
# glibc's allocator for Lifeboat's own process: blocks under 32 MiB reused from the heap instead of fresh pages
# for each (docs/decisions.md). What Lifeboat starts gets the caller's GLIBC_TUNABLES back.
if [ -z "\${LIFEBOAT_CALLER_GLIBC_TUNABLES+set}" ]; then
  export LIFEBOAT_CALLER_GLIBC_TUNABLES="\${GLIBC_TUNABLES-}"
  export GLIBC_TUNABLES="\${GLIBC_TUNABLES:+\$GLIBC_TUNABLES:}${MALLOC_TUNABLES}"
fi
exec node "$here/../lib/lifeboat/lifeboat.mjs" "$@"
`,
);
chmodSync(path.join(stage, 'bin/lifeboat'), 0o755);
writeFileSync(path.join(stage, 'lib/lifeboat/BUILD'), `${version} (build ${buildText})\n`);

const tarball = path.join(out, `lifeboat-${version}-${commit}.tar.gz`);
execFileSync('tar', ['-czf', tarball, '--owner=0', '--group=0', '-C', stage, 'bin', 'lib']);
process.stdout.write(`${tarball}\n`);
