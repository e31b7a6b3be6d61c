// Prints what a browser downloads for the app: raw, gzip -9 and brotli (q11)
// sizes of dist/'s wasm and JS, and, given twiggy's CSV of a build that kept
// its function names, the code size per crate.
//
//   node scripts/size.mjs [dist]               the download table
//   node scripts/size.mjs --crates top.csv     the per-crate table
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const pad = (s, n) => String(s).padStart(n);

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function downloadTable(dir) {
  const rows = files(dir)
    .filter((f) => /\.(wasm|js)$/.test(f) && !f.endsWith('sw.js'))
    .map((f) => {
      const body = readFileSync(f);
      return {
        name: relative(dir, f),
        raw: body.length,
        gzip: gzipSync(body, { level: 9 }).length,
        br: brotliCompressSync(body, {
          params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
        }).length,
      };
    });
  const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, br: t.br + r.br }), {
    raw: 0,
    gzip: 0,
    br: 0,
  });
  const line = (name, r) => `${name.padEnd(48)} ${pad(r.raw, 9)} ${pad(r.gzip, 9)} ${pad(r.br, 9)}`;
  console.log(`${'file (dist/, sw.js aside)'.padEnd(48)} ${pad('raw B', 9)} ${pad('gzip -9', 9)} ${pad('brotli', 9)}`);
  for (const r of rows) console.log(line(r.name, r));
  console.log(line('total (wasm + JS)', total));
  console.log(`total gzip -9: ${kb(total.gzip)} (target 150 KB); brotli: ${kb(total.br)}`);
}

// The crate an item belongs to: the first path segment of its demangled
// name (`<impl a::X for b::Y>` counts for `a`), or what twiggy calls it.
function crateOf(item) {
  // Some names carry the crate's hash: `core[c5930c85a12de822]::fmt`.
  const path = item.replace(/\[[0-9a-f]{16}\]/g, '').match(/([A-Za-z_][A-Za-z0-9_]*)::/);
  if (path) return path[1];
  if (/^data segment|^data\[/.test(item)) return '(data)';
  if (/^(import|export|type|table|elem|global|memory)/.test(item)) return '(wasm plumbing)';
  if (/section|subsection|header/.test(item)) return '(sections)';
  return '(unnamed)';
}

function crateTable(csv) {
  const lines = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
  const by = new Map();
  let total = 0;
  for (const line of lines) {
    // Name,ShallowSize,ShallowSizePercent — the name may hold commas and is
    // quoted then.
    const m = line.match(/^("(?:[^"]|"")*"|[^,]*),(\d+),/);
    if (!m) continue;
    const name = m[1].replace(/^"|"$/g, '').replace(/""/g, '"');
    const size = Number(m[2]);
    total += size;
    const crate = crateOf(name);
    by.set(crate, (by.get(crate) ?? 0) + size);
  }
  console.log(`${'crate (shallow bytes, names kept)'.padEnd(36)} ${pad('bytes', 9)} ${pad('%', 6)}`);
  for (const [crate, size] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`${crate.padEnd(36)} ${pad(size, 9)} ${pad(((100 * size) / total).toFixed(1), 6)}`);
  }
  console.log(`${'total'.padEnd(36)} ${pad(total, 9)}`);
}

const args = process.argv.slice(2);
if (args[0] === '--crates') crateTable(args[1]);
else downloadTable(args[0] ?? 'dist');
