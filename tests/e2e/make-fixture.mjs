// Writes tests/fixtures/format-1-localstorage.json: the localStorage of a
// real browser after a known series of commands, as storage format 1 (with
// schema-1 records) keeps it. Later formats must read it back unchanged, so
// this is run once per format, never to "update" an old fixture.
//
//   trunk build --release && node tests/e2e/make-fixture.mjs
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { serve, launch, openApp } from './harness.mjs';

const server = await serve();
const browser = await launch();
try {
  const context = await browser.newContext();
  const page = await openApp(context, server.url);
  const storage = await page.evaluate(async () => {
    const api = window.wasmBindings;
    await api.execute('acc-001', { type: 'OpenAccount', owner: 'Alice', initial_balance: 1000.0 });
    await api.execute('acc-001', { type: 'Deposit', amount: 500.0 });
    await api.execute('acc-001', { type: 'Withdraw', amount: 200.0 });
    await api.execute('acc-002', { type: 'OpenAccount', owner: 'Zoë <b>Ünïcode</b> 💶', initial_balance: 0, command_id: 'open-2' });
    await api.execute('acc-002', { type: 'Deposit', amount: 0.1, command_id: 'click-1' });
    await api.execute('acc-002', { type: 'Deposit', amount: 0.2, command_id: 'click-2' });
    await api.execute('acc-002', { type: 'Withdraw', amount: 0.3 });
    await api.execute('big_one', { type: 'OpenAccount', owner: 'Max', initial_balance: 1000000000000 });
    for (let i = 1; i <= 24; i++) {
      await api.execute('big_one', { type: i % 3 ? 'Deposit' : 'Withdraw', amount: i * 1.25 });
    }
    return Object.fromEntries(Object.entries(localStorage).sort(([a], [b]) => (a < b ? -1 : 1)));
  });
  const path = resolve(import.meta.dirname, '../fixtures/format-1-localstorage.json');
  await writeFile(path, JSON.stringify(storage, null, 1) + '\n');
  console.log(`wrote ${Object.keys(storage).length} keys to ${path}`);
} finally {
  await browser.close();
  await server.close();
}
