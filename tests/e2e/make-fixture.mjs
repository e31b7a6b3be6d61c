// Writes tests/fixtures/format-{N}-localstorage.json: the localStorage of a
// real browser after a known series of commands, as the build in dist/ keeps
// it (storage format N). Later formats must read it back unchanged, so this
// is run once per format, with that format's build, never to "update" an old
// fixture. Format 1's file predates the account `long` (300 events, so five
// segments and a snapshot in format 2).
//
//   trunk build --release && node tests/e2e/make-fixture.mjs 2
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { serve, launch, openApp } from './harness.mjs';

const format = process.argv[2];
if (!/^[0-9]+$/.test(format ?? '')) throw new Error('usage: node tests/e2e/make-fixture.mjs FORMAT');
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
    await api.execute('long', { type: 'OpenAccount', owner: 'Lee', initial_balance: 0 });
    for (let i = 2; i <= 300; i++) {
      await api.execute('long', { type: i % 5 ? 'Deposit' : 'Withdraw', amount: 0.01, command_id: i % 7 ? undefined : `l-${i}` });
    }
    return Object.fromEntries(Object.entries(localStorage).sort(([a], [b]) => (a < b ? -1 : 1)));
  });
  const path = resolve(import.meta.dirname, `../fixtures/format-${format}-localstorage.json`);
  await writeFile(path, JSON.stringify(storage, null, 1) + '\n');
  console.log(`wrote ${Object.keys(storage).length} keys to ${path}`);
} finally {
  await browser.close();
  await server.close();
}
