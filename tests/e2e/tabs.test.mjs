// Many tabs, one ledger: pages of one browser context race deposits and
// withdrawals on one account; then a fresh page checks that nothing was lost,
// duplicated or overdrawn. The last round closes the writing tab mid-race.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, useApp } from './harness.mjs';

const env = useApp();
const PAGES = 4;
const COMMANDS = 250;
const ROUNDS = 3;

/** Runs `count` random commands on `race` from one page; each command has an
 *  id, and one in ten is sent a second time with the same id. */
function raceFrom(page, tag, count) {
  return page.evaluate(async ({ tag, count }) => {
    const api = window.wasmBindings;
    let seed = [...tag].reduce((a, c) => a * 31 + c.charCodeAt(0), 7) >>> 0;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    const accepted = [];
    const rejected = [];
    const unexpected = [];
    for (let i = 0; i < count; i++) {
      const command_id = `${tag}-${i}`;
      const command = { type: rand() < 0.5 ? 'Deposit' : 'Withdraw', amount: 1 + Math.floor(rand() * 40), command_id };
      const sends = rand() < 0.1 ? 2 : 1;
      let outcome = 'rejected';
      for (let s = 0; s < sends; s++) {
        try {
          const state = await api.execute('race', command);
          // A resend of an accepted command answers the same version.
          if (outcome !== 'rejected' && outcome !== state.version) unexpected.push(`${command_id} answered twice differently`);
          outcome = state.version;
        } catch (e) {
          // Refused for funds, a resend may pass once others deposited.
          if (e.code !== 'InsufficientFunds') unexpected.push(`${e.code}: ${e.message}`);
          else if (outcome !== 'rejected') unexpected.push(`${command_id} accepted, then refused`);
        }
      }
      if (outcome === 'rejected') rejected.push(command_id);
      else accepted.push({ command_id, version: outcome });
    }
    return { accepted, rejected, unexpected };
  }, { tag, count });
}

function checkInvariants(history, state, accepted, maybe = new Set()) {
  const versions = history.map((h) => h.version);
  assert.deepEqual(versions, versions.map((_, i) => i + 1), 'versions run 1..n without gaps');
  assert.equal(new Set(history.map((h) => h.sequence)).size, history.length, 'sequence numbers are unique');
  assert.equal(new Set(history.map((h) => h.event_id)).size, history.length, 'event ids are unique');
  let cents = 0;
  for (const h of history) {
    const e = h.event;
    cents = e.type === 'AccountOpened' ? Math.round(e.initial_balance * 100)
      : e.type === 'MoneyDeposited' ? cents + Math.round(e.amount * 100) : cents - Math.round(e.amount * 100);
    assert.ok(cents >= 0, `the balance went negative at version ${h.version}`);
  }
  assert.equal(Math.round(state.balance * 100), cents, 'the state is the fold of the events');
  const stored = new Map();
  for (const h of history) if (h.command_id) stored.set(h.command_id, (stored.get(h.command_id) ?? 0) + 1);
  for (const [id, times] of stored) assert.equal(times, 1, `${id} is stored ${times} times`);
  for (const a of accepted) assert.equal(stored.get(a.command_id), 1, `accepted ${a.command_id} is stored exactly once`);
  const known = new Set([...accepted.map((a) => a.command_id), ...maybe]);
  for (const id of stored.keys()) if (id !== 'open') assert.ok(known.has(id), `${id} is stored but was not accepted`);
  return { lost: accepted.filter((a) => stored.get(a.command_id) !== 1).length };
}

test(`${PAGES} pages × ${COMMANDS} commands × ${ROUNDS} rounds on one account: nothing lost, duplicated or overdrawn`, async () => {
  const context = await env.browser.newContext();
  const leader = await openApp(context, `${env.server.url}#/accounts/race`);
  await leader.evaluate(() => window.wasmBindings.execute('race', { type: 'OpenAccount', owner: 'Race', initial_balance: 100, command_id: 'open' }));
  const pages = [leader];
  for (let p = 1; p < PAGES; p++) pages.push(await openApp(context, `${env.server.url}#/accounts/race`));

  const accepted = [];
  const maybe = new Set();
  let rejectedCount = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const last = round === ROUNDS - 1;
    const racers = last ? pages.slice(1) : pages;
    const runs = racers.map((page, p) => raceFrom(page, `r${round}p${p}`, COMMANDS));
    if (last) {
      // The writing tab closes mid-race; the others must carry on.
      await new Promise((ok) => setTimeout(ok, 300));
      await leader.close();
    }
    for (const result of await Promise.all(runs)) {
      assert.deepEqual(result.unexpected, [], 'only the rules reject: no conflicts, no lost leader');
      accepted.push(...result.accepted);
      rejectedCount += result.rejected.length;
    }
  }

  const fresh = await openApp(context, `${env.server.url}#/accounts/race`);
  const history = await fresh.evaluate(() => window.wasmBindings.history('race'));
  const state = await fresh.evaluate(() => window.wasmBindings.account('race'));
  const { lost } = checkInvariants(history, state, accepted, maybe);
  assert.equal(history.length, 1 + accepted.length, 'one event per accepted command');
  assert.ok(accepted.length > 0 && rejectedCount > 0, 'the race both accepted and rejected');

  // Every open page shows the same state within a second, without reload.
  for (const page of [...pages.slice(1), fresh]) {
    await page.locator('.summary .version').filter({ hasText: new RegExp(`^${state.version}$`) }).waitFor({ timeout: 1000 });
  }
  console.log(`raced ${ROUNDS} rounds × ${PAGES} pages × ${COMMANDS} commands: ${accepted.length} accepted, ${rejectedCount} refused for funds, lost ${lost}, duplicated 0, overdrawn 0`);
  await context.close();
});
