#!/usr/bin/env node
// Finds import loops between the workspace's Rust files: file A imports
// file B when A names a path (`crate::…`, `super::…`, `self::…`, or a `use`
// of a child module) that resolves to B's module. A loop is a set of files
// that reach each other (a strongly connected component of two or more).
// A file's `#[cfg(test)] mod tests` block is left out: a test module
// reaching into its own file's parent is not the code's structure.
// Prints the loops and exits 1 when there is any.
import { readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, basename, relative } from 'node:path';

const roots = [
  ['core/src', 'lib.rs'],
  ['src', 'lib.rs'],
  ['server/src', 'lib.rs'],
];

function rustFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return rustFiles(path);
    return name.endsWith('.rs') ? [path] : [];
  });
}

// The module path (segments from the crate root) of a file.
function modulePath(root, file) {
  const rel = relative(root, file).replace(/\.rs$/, '').split('/');
  const last = rel[rel.length - 1];
  if (last === 'mod' || (rel.length === 1 && (last === 'lib' || last === 'main'))) rel.pop();
  return rel;
}

// The file of the deepest module that `segments` names, from the crate root.
function resolve(root, segments) {
  let dir = root;
  let found = join(root, 'lib.rs');
  for (const segment of segments) {
    const file = join(dir, `${segment}.rs`);
    const folder = join(dir, segment, 'mod.rs');
    if (existsSync(file)) found = file;
    else if (existsSync(folder)) found = folder;
    else break;
    dir = join(dir, segment);
  }
  return found;
}

// Paths named in `text`, with `use a::{b::c, d}` groups expanded one level.
function pathsIn(text) {
  const paths = [];
  for (const m of text.matchAll(/\buse\s+([A-Za-z_][\w:]*)::\{([^}]*)\}/g)) {
    for (const part of m[2].split(',')) {
      const tail = part.trim().split(/\s+as\s+/)[0];
      if (tail) paths.push(`${m[1]}::${tail}`);
    }
  }
  for (const m of text.matchAll(/\buse\s+([A-Za-z_][\w:]*)/g)) paths.push(m[1]);
  for (const m of text.matchAll(/\b((?:crate|super|self)(?:::[A-Za-z_]\w*)+)/g)) paths.push(m[1]);
  return paths;
}

const edges = new Map();
for (const [root] of roots) {
  for (const file of rustFiles(root)) {
    let text = readFileSync(file, 'utf8');
    const tests = text.search(/#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod tests\b/);
    if (tests >= 0) text = text.slice(0, tests);
    text = text.replace(/\/\/.*$/gm, '');
    const here = modulePath(root, file);
    const isModRoot = /(^|\/)(mod|lib|main)\.rs$/.test(file);
    const children = new Set([...text.matchAll(/^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;/gm)].map((m) => m[1]));
    const targets = new Set();
    for (const path of pathsIn(text)) {
      let segments = path.split('::');
      let base;
      if (segments[0] === 'crate') { base = []; segments = segments.slice(1); }
      else if (segments[0] === 'super') {
        base = isModRoot ? here.slice(0, -1) : here.slice(0, -1);
        segments = segments.slice(1);
        while (segments[0] === 'super') { base = base.slice(0, -1); segments = segments.slice(1); }
      } else if (segments[0] === 'self') { base = isModRoot ? here : here.slice(0, -1); segments = segments.slice(1); }
      else if (children.has(segments[0])) { base = isModRoot ? here : here; }
      else continue;
      // A non-mod file's own children live in a folder named after it.
      const target = resolve(root, [...base, ...segments]);
      if (target !== file) targets.add(target);
    }
    edges.set(file, targets);
  }
}

// Tarjan's strongly connected components.
let index = 0;
const stack = [];
const info = new Map();
const loops = [];
function connect(v) {
  info.set(v, { index, low: index, on: true });
  index += 1;
  stack.push(v);
  for (const w of edges.get(v) ?? []) {
    if (!info.has(w)) {
      connect(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).on) {
      info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
    }
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).on = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) loops.push(component.sort());
  }
}
for (const v of edges.keys()) if (!info.has(v)) connect(v);

if (loops.length === 0) {
  console.log(`no import loops among ${edges.size} files`);
} else {
  for (const loop of loops) console.log(`loop of ${loop.length}: ${loop.join(' ')}`);
  console.log(`${loops.length} import loops among ${edges.size} files`);
  process.exitCode = 1;
}
