// Builds the console into dist/: one hashed script, one hashed stylesheet and
// an index.html that loads them (no inline script or style, so the page's
// Content-Security-Policy can forbid both). `make console` runs it.
import * as esbuild from 'esbuild';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { basename, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
process.chdir(root);

const out = 'dist';
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
// The placeholder go:embed needs on a fresh clone (dist is otherwise ignored).
writeFileSync(join(out, '.keep'), 'The built console (make console) goes here; this file keeps the folder so that go:embed compiles on a fresh clone.\n');

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { app: 'src/main.jsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'safari15', 'firefox100'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  // Pages imported with import() become chunks of their own (and Chart.js
  // goes with the dashboard): the first load fetches only the shell.
  splitting: true,
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  charset: 'utf8', // Japanese text as UTF-8, not \uXXXX escapes (half the bytes)
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === 'src/main.jsx')?.[0]?.split('/').pop();
const css = outputs.find((f) => f.startsWith('app-') && f.endsWith('.css'));
if (!js || !css) throw new Error('build: missing app script or stylesheet in ' + outputs.join(', '));

// The chunks the entry imports statically are preloaded with it, so the
// browser fetches them in parallel rather than after parsing the entry.
const entryOut = result.metafile.outputs[join(out, 'assets', js)];
const preload = entryOut.imports.filter((i) => i.kind === 'import-statement')
  .map((i) => `<link rel="modulepreload" href="/assets/${basename(i.path)}">`).join('\n  ');
const html = readFileSync('src/index.html', 'utf8')
  .replace('%PRELOAD%', preload)
  .replace('%SCRIPT%', `/assets/${js}`)
  .replace('%STYLE%', `/assets/${css}`);
writeFileSync(join(out, 'index.html'), html);
writeFileSync(join(out, 'manifest.json'), JSON.stringify({ script: js, style: css, files: outputs }, null, 2) + '\n');
console.log(`console: dist/index.html, assets/${js}, assets/${css}`);

// Precompressed twins: the local server sends them to clients that take
// gzip (CloudFront compresses on its own in AWS).
import { gzipSync } from 'node:zlib';
import { readdirSync, statSync } from 'node:fs';
for (const f of ['index.html', ...readdirSync(join(out, 'assets')).map((a) => join('assets', a))]) {
  const p = join(out, f);
  if (!statSync(p).isFile() || /\.(gz|map)$/.test(p)) continue;
  writeFileSync(p + '.gz', gzipSync(readFileSync(p), { level: 9 }));
}
