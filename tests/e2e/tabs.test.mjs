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

/** Runs `count` random commands on `account` from one page; each command has
 *  an id, and one in ten is sent a second time with the same id. A command
 *  whose outcome is unknown (no answer from the writer) is sent again with
 *  its id, as the page's own forms do. */
function raceFrom(page, tag, count, account = 'race', anonymous = false) {
  return page.evaluate(async ({ tag, count, account, anonymous }) => {
    const api = window.wasmBindings;
    let seed = [...tag].reduce((a, c) => a * 31 + c.charCodeAt(0), 7) >>> 0;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    const accepted = [];
    const rejected = [];
    const unexpected = [];
    let anonymousAccepted = 0;
    for (let i = 0; i < count; i++) {
      // With `anonymous`, every other command carries no id of its caller's
      // (as the page's own forms once sent them): counted, not named.
      const named = !anonymous || i % 2 === 0;
      const command_id = named ? `${tag}-${i}` : undefined;
      const command = { type: rand() < 0.5 ? 'Deposit' : 'Withdraw', amount: 1 + Math.floor(rand() * 40), command_id };
      const sends = named && rand() < 0.1 ? 2 : 1;
      let outcome = 'rejected';
      for (let s = 0; s < sends; s++) {
        try {
          let state;
          for (let tries = 1; ; tries++) {
            try {
              state = await api.execute(account, command);
              break;
            } catch (e) {
              if (e.code !== 'OutcomeUnknown' || tries === 3) throw e;
            }
          }
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
      else if (named) accepted.push({ command_id, version: outcome });
      else anonymousAccepted++;
    }
    return { accepted, rejected, unexpected, anonymousAccepted };
  }, { tag, count, account, anonymous });
}

/** A page on account `account`, which it opens (with command id `open`):
 *  the first page of a context, so the one that writes. */
async function writerOf(context, account, owner, balance) {
  const page = await openApp(context, `${env.server.url}#/accounts/${account}`);
  await page.evaluate(
    ({ account, owner, balance }) =>
      window.wasmBindings.execute(account, { type: 'OpenAccount', owner, initial_balance: balance, command_id: 'open' }),
    { account, owner, balance },
  );
  return page;
}

/** `rounds` hand-overs on `account`: in each, the followers race while the
 *  writer (`pages[await writerAt(round)]`; with a Web Lock, the oldest page)
 *  closes after `wait(round)` ms; a new page takes its place. Counts what
 *  was accepted. */
async function handOvers(pages, open, rounds, account, wait, writerAt = async () => 0) {
  const accepted = [];
  let anonymous = 0;
  for (let round = 0; round < rounds; round++) {
    const at = await writerAt(round);
    const [writer] = pages.splice(at, 1);
    const runs = pages.map((page, p) => raceFrom(page, `${account}${round}p${p}`, 25, account, true));
    await new Promise((ok) => setTimeout(ok, wait(round)));
    await writer.close();
    for (const result of await Promise.all(runs)) {
      assert.deepEqual(result.unexpected, [], `round ${round}: only the rules reject`);
      accepted.push(...result.accepted);
      anonymous += result.anonymousAccepted;
    }
    pages.push(await open());
  }
  return { accepted, anonymous };
}

function checkInvariants(history, state, accepted, maybe = new Set(), anonymous = false) {
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
  for (const id of stored.keys()) {
    if (id !== 'open' && !anonymous) assert.ok(known.has(id), `${id} is stored but was not accepted`);
  }
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
      const problems = [leader, ...pages].flatMap((page) => page.problems);
      assert.deepEqual(result.unexpected, [], `only the rules reject: no conflicts, no lost leader (page errors: ${problems.join('; ') || 'none'})`);
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
    // The page writes the version in its locale (2,727): any group marks between the digits.
    const shown = new RegExp(`^${[...String(state.version)].join('\\D?')}$`);
    await page.locator('.summary .version').filter({ hasText: shown }).waitFor({ timeout: 1000 });
  }
  console.log(`raced ${ROUNDS} rounds × ${PAGES} pages × ${COMMANDS} commands: ${accepted.length} accepted, ${rejectedCount} refused for funds, lost ${lost}, duplicated 0, overdrawn 0`);
  await context.close();
});

test('a writing tab behind another shows what it ran for that tab at once, not when its timers may run', async () => {
  const context = await env.browser.newContext();
  const writer = await writerOf(context, 'behind', 'Behind', 5);
  // Opened later, this page is in front (in Firefox; Playwright shows every
  // page). Browsers run a hidden tab's timers about once a second.
  const front = await openApp(context, `${env.server.url}#/accounts/behind`);
  for (let deposit = 1; deposit <= 3; deposit++) {
    const state = await front.evaluate(() => window.wasmBindings.execute('behind', { type: 'Deposit', amount: 1 }));
    await writer.locator('.summary .version').filter({ hasText: new RegExp(`^${state.version}$`) }).waitFor({ timeout: 300 });
  }
  console.log(`the writing tab was ${await writer.evaluate(() => document.visibilityState)}`);
  await context.close();
});

test('20 hand-overs in one run: the writing tab closes mid-race each time, and nothing is lost or duplicated', async () => {
  const HANDOVERS = 20;
  const context = await env.browser.newContext();
  const open = () => openApp(context, `${env.server.url}#/accounts/hand`);
  // Pages ask for the lock in the order they open, so the oldest writes.
  const pages = [await open()];
  await pages[0].evaluate(() =>
    window.wasmBindings.execute('hand', { type: 'OpenAccount', owner: 'Hand', initial_balance: 500, command_id: 'open' }),
  );
  pages.push(await open(), await open());
  const { accepted, anonymous } = await handOvers(pages, open, HANDOVERS, 'hand', (round) => 30 + (round % 5) * 40);
  const fresh = pages.at(-1);
  const history = await fresh.evaluate(() => window.wasmBindings.history('hand'));
  const state = await fresh.evaluate(() => window.wasmBindings.account('hand'));
  const { lost } = checkInvariants(history, state, accepted, new Set(), true);
  assert.equal(lost, 0);
  assert.equal(history.length, 1 + accepted.length + anonymous, 'one event per accepted command: none lost, none twice');
  console.log(
    `${HANDOVERS} hand-overs: ${accepted.length + anonymous} commands accepted (${anonymous} without a caller's id), lost ${lost}, duplicated 0`,
  );
  await context.close();
});

test('tabs of another build: the writer says it does not speak them, and an out-of-date tab stops writing', async () => {
  const context = await env.browser.newContext();
  const writer = await writerOf(context, 'side', 'Side', 5);
  const follower = await openApp(context, `${env.server.url}#/accounts/side`);
  const before = await writer.evaluate(() => JSON.stringify(Object.entries(localStorage).sort()));

  // A tab of a later build sends a command the writer can't read; an older
  // build (no protocol line) does the same. The writer answers in its own
  // protocol that it does not speak theirs, and does nothing else.
  const replies = await follower.evaluate(async () => {
    const channel = new BroadcastChannel('ledger-v1');
    const heard = [];
    channel.onmessage = (event) => heard.push(event.data);
    channel.postMessage('4\nC\nr-1\nside\nc-1\nD\n100');
    channel.postMessage('C\nr-2\nside\nc-2\nD\n100');
    await new Promise((ok) => setTimeout(ok, 300));
    channel.close();
    return heard.filter((m) => m.includes('\nU\n'));
  });
  assert.deepEqual(replies.sort(), ['3\nU\n1', '3\nU\n4']);
  assert.equal(await writer.evaluate(() => JSON.stringify(Object.entries(localStorage).sort())), before, 'nothing stored');

  // The follower hears a newer build's writer: it asks for a reload and
  // refuses to send commands.
  await writer.evaluate(() => {
    const channel = new BroadcastChannel('ledger-v1');
    channel.postMessage('4\nN');
    channel.close();
  });
  await follower.getByText('A newer version of this app is open in another tab').waitFor({ timeout: 2000 });
  const refused = await follower.evaluate(() =>
    window.wasmBindings.execute('side', { type: 'Deposit', amount: 1 }).then(() => 'done', (e) => e.code),
  );
  assert.equal(refused, 'StorageUnavailable');
  // The writer, hearing a newer build, keeps writing (it holds the one lock).
  const state = await writer.evaluate(() => window.wasmBindings.execute('side', { type: 'Deposit', amount: 1 }));
  assert.equal(state.version, 2);
  const verify = await writer.evaluate(() => window.wasmBindings.verify('side'));
  assert.equal(verify.ok, true);
  await context.close();
});

test('a follower that gets no answer says the outcome is unknown, and the page retries under the same id', async () => {
  const context = await env.browser.newContext();
  const writer = await writerOf(context, 'slow', 'Slow', 5);
  const follower = await openApp(context, `${env.server.url}#/accounts/slow`);
  await follower.locator('.summary .version').filter({ hasText: /^1$/ }).waitFor();
  // The writing tab is busy for longer than a follower waits (10 × 1 s).
  const busy = writer.evaluate(() => {
    const end = Date.now() + 11_500;
    while (Date.now() < end);
  });
  await follower.getByLabel('Amount').fill('7');
  await follower.getByRole('button', { name: 'Deposit' }).click();
  await follower.getByText('may or may not have been done').waitFor({ timeout: 15_000 });
  await busy;
  // The writer, free again, did the queued command once; the retry under
  // the same id is answered without doing it again.
  await follower.getByRole('button', { name: 'Deposit' }).click();
  await follower.locator('.summary .version').filter({ hasText: /^2$/ }).waitFor({ timeout: 5000 });
  const history = await follower.evaluate(() => window.wasmBindings.history('slow'));
  assert.deepEqual(history.map((h) => h.event.type), ['AccountOpened', 'MoneyDeposited']);
  assert.equal(history[1].event.amount, 7);
  assert.ok(history[1].command_id, 'the page gave the command an id');
  await context.close();
});

test('a command the writing tab stored but never answered is not done again by the next writer', async () => {
  const context = await env.browser.newContext();
  const writer = await writerOf(context, 'once', 'Once', 5);
  const follower = await openApp(context, `${env.server.url}#/accounts/once`);
  // The writer stores what it is sent but its answers never leave the tab,
  // as when it dies between the write and the answer.
  await writer.evaluate(() => {
    const post = BroadcastChannel.prototype.postMessage;
    BroadcastChannel.prototype.postMessage = function (message) {
      if (typeof message === 'string' && /(^|\n)A\n/.test(message)) return;
      return post.call(this, message);
    };
  });
  // A command without a caller's id, as a plain JS API call sends it.
  const sent = follower.evaluate(() => window.wasmBindings.execute('once', { type: 'Deposit', amount: 3 }).then((s) => s.version));
  await writer.waitForFunction(() => window.wasmBindings.account('once').version === 2);
  await writer.close();
  assert.equal(await sent, 2, 'the follower, now writing, answers the stored command');
  const history = await follower.evaluate(() => window.wasmBindings.history('once'));
  assert.deepEqual(history.map((h) => h.event.type), ['AccountOpened', 'MoneyDeposited'], 'done once');
  await context.close();
});

test('without Web Locks one tab writes, by a lease in storage, and hands over when it closes', async () => {
  const context = await env.browser.newContext();
  // As in an insecure context: no navigator.locks. Each page counts its own
  // writes of event segments.
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
    const set = Storage.prototype.setItem;
    window.__segmentWrites = 0;
    Storage.prototype.setItem = function (key, value) {
      if (String(key).startsWith('ledger/v2/seg/')) window.__segmentWrites++;
      return set.call(this, key, value);
    };
  });
  const open = () => openApp(context, `${env.server.url}#/accounts/lease`);
  const pages = [await open()];
  await pages[0].evaluate(() =>
    window.wasmBindings.execute('lease', { type: 'OpenAccount', owner: 'Lease', initial_balance: 500, command_id: 'open' }),
  );
  pages.push(await open(), await open());
  const writers = async () => (await Promise.all(pages.map((p) => p.evaluate(() => window.__segmentWrites)))).map((n) => n > 0);
  // Whichever tab takes the lease first writes; exactly one has written.
  const { accepted, anonymous } = await handOvers(pages, open, 3, 'lease', () => 100, async (round) => {
    await new Promise((ok) => setTimeout(ok, 300));
    const wrote = await writers();
    assert.equal(wrote.filter(Boolean).length, 1, `round ${round}: only the lease holder writes: ${wrote}`);
    return wrote.indexOf(true);
  });
  const history = await pages[0].evaluate(() => window.wasmBindings.history('lease'));
  const state = await pages[0].evaluate(() => window.wasmBindings.account('lease'));
  checkInvariants(history, state, accepted, new Set(), true);
  assert.equal(history.length, 1 + accepted.length + anonymous, 'none lost, none twice');
  await context.close();
});

test('format 1 data is migrated by the writing tab only, when it takes over', async () => {
  const { readFile } = await import('node:fs/promises');
  const fixture = JSON.parse(await readFile(new URL('../fixtures/format-1-localstorage.json', import.meta.url), 'utf8'));
  const context = await env.browser.newContext();
  // The writer has taken over (a command returns only once this tab knows
  // it writes) before the old records appear: a page still taking over
  // would migrate them itself, and this test would race it.
  const writer = await writerOf(context, 'here', 'Here', 5);
  // Format 1 records appear behind the writer's back, as if an old build
  // had written them; the writer migrates only when it takes over, so it
  // touches none of them.
  await writer.evaluate((records) => {
    for (const [key, value] of Object.entries(records)) localStorage.setItem(key, value);
  }, fixture);
  const follower = await openApp(context, `${env.server.url}#/accounts/acc-001`);
  await follower.locator('.summary .version').filter({ hasText: /^\d+$/ }).waitFor();
  const legacy = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('ledger/v1/')).length);
  const before = await legacy(follower);
  assert.equal(before, Object.keys(fixture).length, 'a follower reads format 1 and rewrites nothing');
  const state = await follower.evaluate(() => window.wasmBindings.account('acc-001'));
  await writer.close();
  // The follower takes over, and migrates.
  await follower.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('ledger/v1/')), null, { timeout: 5000 });
  assert.deepEqual(await follower.evaluate(() => window.wasmBindings.account('acc-001')), state);
  assert.ok(Object.keys(await follower.evaluate(() => ({ ...localStorage }))).some((k) => k.startsWith('ledger/v2/seg/acc-001/')));
  await context.close();
});
