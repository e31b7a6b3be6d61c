// Trunk's post_build hook (Trunk.toml): for a release build, writes a brotli
// (.br, quality 11) and a gzip (.gz, level 9) copy next to each of Trunk's
// hashed assets (wasm, JS, CSS) in its staging directory, for hosts that
// serve precompressed files (the server of record does: ServeDir's
// precompressed_br/gzip). The files themselves are left as they are. The
// page, the manifest and sw.js are small and keep their names from build
// to build: a copy could go stale when one is edited in place, so they get
// none (a host compresses them on the fly, or sends them as they are).
//
//   node scripts/precompress.mjs [dir]   (default: $TRUNK_STAGING_DIR)
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dir = process.argv[2] ?? process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('precompress: no directory (give one, or run as a Trunk hook)');
  process.exit(1);
}
// A debug build (trunk serve) is served by Trunk itself: nothing to do.
if (!process.argv[2] && process.env.TRUNK_PROFILE !== 'release') process.exit(0);

// Trunk writes its hash as hex without leading zeros: 1 to 16 digits
// (a build whose hash began with 0 got no copies when this wanted 16).
const HASHED = /-[0-9a-f]{1,16}(_bg)?\.(wasm|js|css)$|\/snippets\/.*\.js$/;

function files(at) {
  return readdirSync(at).flatMap((name) => {
    const path = join(at, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

for (const file of files(dir).filter((f) => HASHED.test(f))) {
  const body = readFileSync(file);
  writeFileSync(
    `${file}.br`,
    brotliCompressSync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  );
  writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
}
