// The page at every width from 320 to 1920 px, in the release build, in
// headless Chromium or (E2E_BROWSER=firefox) Firefox ESR: one page with the
// longest values the domain allows, resized. Nothing overflows sideways or is
// clipped; the history is a table where it has room and a card per event
// where it has not, with every field shown either way. With E2E_SCREENSHOTS=dir
// it also saves the page at 360 and 1200 px there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BROWSER, openApp, useApp } from './harness.mjs';

const env = useApp();

// The longest id (64 characters), a long owner, and the largest amounts,
// up to balances as long as the largest one: 21,999,999,999,999.78 is as
// wide as 90,000,000,000,000.00.
const ID = 'a-rather-long-account-id-that-uses-all-of-the-sixty-four-letters';
const OWNER = 'Maximilian Alexander Christopher Bartholomew Fitzgerald-Longname-Hohenzollern-Sigmaringen the Third';
// Where the history has less than 40rem it is cards (see style.css): at
// these widths the window leaves it less.
const WIDTHS = { 320: 'cards', 360: 'cards', 600: 'cards', 800: 'table', 1100: 'table', 1200: 'table', 1920: 'table' };
const LABELS = ['Version', 'Time', 'Event', 'What happened', 'Balance after'];

// In the page: what is too wide, clipped or missing at the current width.
function measure(labels) {
  const view = document.scrollingElement.clientWidth;
  const problems = [];
  const name = (e) => `${e.tagName.toLowerCase()}${e.getAttribute('class') ? `.${e.getAttribute('class').replace(/ /g, '.')}` : ''} "${(e.textContent ?? '').trim().slice(0, 30)}"`;
  // Hidden on purpose: in a [hidden] element, or clipped to nothing for
  // screen readers only (.visually-hidden, a card list's column headers).
  const hidden = (e) => {
    for (let at = e; at; at = at.parentElement) {
      if (at.hidden || getComputedStyle(at).clipPath !== 'none') return true;
    }
    return false;
  };
  if (document.scrollingElement.scrollWidth > view) {
    problems.push(`the page is ${document.scrollingElement.scrollWidth} px wide in a ${view} px window`);
  }
  for (const e of document.body.querySelectorAll('*')) {
    if (hidden(e)) continue;
    const box = e.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.left < -0.5 || box.right > view + 0.5) problems.push(`${name(e)} runs from ${box.left} to ${box.right} px`);
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 && !['svg', 'input', 'meter'].includes(e.tagName.toLowerCase())) {
      problems.push(`${name(e)} holds ${e.scrollWidth} px in ${e.clientWidth} px`);
    }
  }
  const table = document.querySelector('.history table');
  const mode = getComputedStyle(table).display === 'table' ? 'table' : 'cards';
  const rows = [...table.querySelectorAll('tbody tr')];
  if (rows.length === 0) problems.push('the history has no rows');
  for (const row of rows) {
    const cells = [...row.children];
    const shown = cells.map((c) => {
      const box = c.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && (c.textContent ?? '').trim() !== '';
    });
    if (cells.length !== labels.length || shown.includes(false)) problems.push(`a row shows ${shown.filter(Boolean).length} of ${labels.length} fields`);
    if (mode === 'cards') {
      // Each cell names its field, as the column headers are not shown
      // (Firefox gives the attr() unresolved).
      const names = cells.map((c) => getComputedStyle(c, '::before').content);
      const named = (l, i) => names[i]?.includes(`"${l}"`) || (names[i]?.startsWith('attr(data-label)') && cells[i].dataset.label === l);
      if (!labels.every(named)) problems.push(`a card's fields are named ${names.join(', ')}`);
    }
  }
  if (mode === 'table') {
    for (const th of table.querySelectorAll('thead th')) {
      if (th.getBoundingClientRect().width === 0) problems.push(`the column ${th.textContent} is not shown`);
    }
  }
  return { mode, problems };
}

test('320 to 1920 px: nothing overflows or is clipped; the history is cards when narrow, a table when wide', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  await page.evaluate(
    async ([id, owner]) => {
      const api = window.wasmBindings;
      await api.execute('short', { type: 'OpenAccount', owner: 'Al', initial_balance: 1 });
      await api.execute(id, { type: 'OpenAccount', owner, initial_balance: 999999999999.99 });
      for (let i = 0; i < 21; i++) await api.execute(id, { type: 'Deposit', amount: 999999999999.99 });
    },
    [ID, OWNER],
  );
  await page.goto(`${env.server.url}#/accounts/${ID}`);
  await page.reload();
  await page.locator('.summary .version').filter({ hasText: '22' }).waitFor();
  for (const [width, expected] of Object.entries(WIDTHS)) {
    await page.setViewportSize({ width: Number(width), height: 900 });
    await page.waitForFunction((w) => document.scrollingElement.clientWidth <= w && innerWidth === w, Number(width));
    const { mode, problems } = await page.evaluate(measure, LABELS);
    // The first few say where; the elements around them overflow with them.
    const shown = problems.length > 12 ? [...problems.slice(0, 12), `and ${problems.length - 12} more`] : problems;
    assert.deepEqual(shown, [], `${BROWSER} at ${width} px`);
    assert.equal(mode, expected, `${BROWSER} at ${width} px`);
    if (width === '360' && BROWSER === 'chromium') {
      // As cards it is still a table to screen readers, and a cell's name is
      // its value alone: the drawn field name is not read again.
      const tree = await page.locator('.history table').ariaSnapshot();
      assert.match(tree, /- table "History":/);
      assert.match(tree, /- columnheader "Balance after"/);
      assert.match(tree, /- cell "22"\n/);
      assert.match(tree, /- cell "21,999,999,999,999\.78"/);
    }
    if (process.env.E2E_SCREENSHOTS && (width === '360' || width === '1200')) {
      await page.screenshot({ path: join(process.env.E2E_SCREENSHOTS, `${BROWSER}-${width}.png`), fullPage: true });
    }
  }
  assert.deepEqual(page.problems, []);
  await context.close();
});
