// Bundles the owner's console (packages/api/console) into packages/api/dist/console-ui: index.html,
// app.js and app.css, everything the browser needs, nothing fetched from elsewhere at run time.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const apiDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(apiDir, 'console', 'src');
const outDir = join(apiDir, 'dist', 'console-ui');

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await build({
  entryPoints: { app: join(sourceDir, 'console-main.tsx'), 'app-style': join(sourceDir, 'console-style.css') },
  outdir: outDir,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  // supabase-js goes to a chunk of its own, loaded only when the server names a Supabase project.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'browser',
  target: ['es2022'],
  tsconfig: join(apiDir, 'console', 'tsconfig.json'),
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(join(sourceDir, 'index.html'), join(outDir, 'index.html'));
