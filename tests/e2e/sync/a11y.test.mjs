// axe-core on the page with sync linked through the real server (the Sync
// card's linked state) and an event waiting for the server (the history's
// pending mark and its Cancel button), at 360 and 1200 px; and the pending
// row still fits a 320 px screen. The rest of the page: ../a11y.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audit, loadAxe } from '../axe.mjs';
import { device, ledger, skip, useBrowser } from './devices.mjs';

const env = useBrowser();

test('axe finds nothing with sync linked and an event pending', { skip }, async () => {
  const { server, who } = await ledger(1);
  try {
    const a = await device(env.browser, server, who[0]);
    await loadAxe(a.page);
    assert.equal((await a.connect()).error, undefined);
    await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 100 });
    await a.settled();
    await a.offline(true);
    await a.run('acc-1', { type: 'Deposit', amount: 5 });
    await a.page.evaluate(() => (location.hash = '#/accounts/acc-1'));
    await a.page.locator('.history tr.pending .badge').waitFor();
    const found = await audit(a.page, 'sync linked, an event pending');
    assert.deepEqual(found, [], found.join('\n'));

    await a.page.setViewportSize({ width: 320, height: 800 });
    await a.page.waitForFunction(() => innerWidth === 320);
    const wide = await a.page.evaluate(() =>
      [document.scrollingElement, ...document.querySelectorAll('.history td, .sync *')]
        .filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > innerWidth)
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(wide, []);
    await a.close();
  } finally {
    await server.stop();
  }
});
