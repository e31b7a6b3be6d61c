// Import files of about 5 MB built to be slow to read (the same four as the
// native test `hostile_files_are_refused_in_linear_time`): one object of
// ~400,000 members with a duplicate name at its end, the same as an event
// line, brackets nested 2,500,000 deep, a 5 MB string. Made inside the page,
// so 20 MB never travel through the driver.

/** In the page: imports each hostile file; for each, the error code, the
 *  line it names, its size in bytes and how long the refusal took (ms). */
export function importHostileFiles() {
  const SIZE = 5 * 1024 * 1024;
  const members = (prefix) => {
    const parts = [];
    let length = 0;
    for (let n = 0; length < SIZE; n++) {
      const part = `"${prefix}${n}":"x",`;
      parts.push(part);
      length += part.length;
    }
    parts.push(`"${prefix}0":"x"`);
    return parts.join('');
  };
  const header = `{"format":"bank-ledger-export","version":1,"exported_at":1,"accounts":1,"events":1,"heads":{"a":"${'0'.repeat(64)}"}}`;
  const files = {
    'many members in the header': `{"format":"bank-ledger-export","heads":{${members('acc-')}}}`,
    'many members in an event line': `${header}\n{${members('f')}}`,
    'deep nesting': `${header}\n${'['.repeat(SIZE / 2)}${']'.repeat(SIZE / 2)}`,
    'a 5 MB string': `${header}\n{"account":"${'a'.repeat(SIZE)}"}`,
  };
  const before = JSON.stringify(Object.entries(localStorage).sort());
  const results = [];
  for (const [name, text] of Object.entries(files)) {
    const start = performance.now();
    let code = 'imported';
    let line;
    try {
      window.wasmBindings.import_ledger(text);
    } catch (e) {
      code = e.code;
      line = e.line;
    }
    results.push({ name, code, line, bytes: text.length, ms: performance.now() - start });
  }
  return { results, untouched: JSON.stringify(Object.entries(localStorage).sort()) === before };
}
