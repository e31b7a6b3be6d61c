// Three devices, random commands, offline periods and simultaneous
// reconnects, the server restarted once mid-run. At the end every device
// equals the server; every accepted command is confirmed exactly once or
// reported rejected by the device that made it; nothing is left pending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tenant, token } from '../ledger-server.mjs';
import { device, identity, serverIdentity, skip, useBrowser } from './devices.mjs';

const env = useBrowser();

/** Deterministic dice, so a failing run can be repeated (SOAK_SEED). */
function dice(seed) {
  let state = BigInt(seed);
  return (sides) => {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number((state >> 33n) % BigInt(sides));
  };
}

test('three devices with offline periods and a server restart converge', { skip, timeout: 240_000 }, async () => {
  const seed = Number(process.env.SOAK_SEED ?? Date.now() % 100000);
  const roll = dice(seed);
  const t = tenant();
  const who = [1, 2, 3].map((n) => ({ tenant: t, device: `d${n}`, token: token() }));
  const server = await startServer({ devices: who });
  const stats = { commands: [0, 0, 0], accepted: 0, offline: 0 };
  try {
    const devices = [];
    for (const w of who) {
      const d = await device(env.browser, server, w);
      if (devices.length === 0) {
        for (const account of ['acc-0', 'acc-1', 'acc-2']) {
          await d.run(account, { type: 'OpenAccount', owner: 'Shared', initial_balance: 60 });
        }
      }
      assert.equal((await d.connect()).value?.state, 'synced');
      devices.push(d);
    }
    const offline = [false, false, false];
    const accepted = new Map();
    const steps = 90;
    for (let step = 0; step < steps; step++) {
      if (step === Math.floor(steps / 2)) {
        // The server goes away for a moment, with devices mid-sync.
        await server.stop();
        await new Promise((ok) => setTimeout(ok, 500));
        await server.start();
      }
      const n = roll(3);
      const d = devices[n];
      if (roll(6) === 0) {
        offline[n] = !offline[n];
        stats.offline += offline[n] ? 1 : 0;
        await d.offline(offline[n]);
        continue;
      }
      const account = `acc-${roll(3)}`;
      const amount = 1 + roll(40);
      const kind = roll(8);
      const command =
        kind === 0
          ? { type: 'OpenAccount', owner: d.who.device, initial_balance: amount }
          : kind < 4
            ? { type: 'Deposit', amount }
            : { type: 'Withdraw', amount };
      const command_id = `s${seed}-${step}`;
      stats.commands[n]++;
      const outcome = await d.run(account, { ...command, command_id });
      if (outcome.value) {
        accepted.set(command_id, { device: n, account });
        stats.accepted++;
      }
      if (roll(5) === 0) await new Promise((ok) => setTimeout(ok, 50 + roll(300)));
    }
    // Everyone back at once.
    const reconnect = Date.now();
    await Promise.all(devices.map((d) => d.offline(false)));
    await Promise.all(devices.map((d) => d.settled(90_000)));
    const events = await server.pull(who[0].token);
    const redecided = (await Promise.all(devices.map((d) => d.status()))).reduce((sum, s) => sum + s.progress.redecided, 0);
    const accounts = [...new Set(events.map((e) => e.account))];
    for (const d of devices) {
      for (const account of accounts) {
        await d.page.waitForFunction(
          ([account, version]) => (window.wasmBindings.account(account)?.version ?? 0) >= version,
          [account, events.filter((e) => e.account === account).length],
          { timeout: 20_000 },
        );
        assert.deepEqual(identity(await d.history(account)), serverIdentity(events, account), `${d.who.device} ${account} (seed ${seed})`);
      }
      assert.equal((await d.status()).pending, 0);
    }
    const converged = Date.now() - reconnect;
    // Exactly once, or rejected on the device that made it.
    const rejected = await Promise.all(devices.map((d) => d.rejected()));
    let redecidedAway = 0;
    for (const [command_id, { device: n }] of accepted) {
      const stored = events.filter((e) => e.command_id === command_id).length;
      const refused = rejected[n].filter((r) => r.command_id === command_id).length;
      assert.equal(stored + refused, 1, `${command_id} (seed ${seed}): stored ${stored}, rejected ${refused}`);
      redecidedAway += refused;
    }
    for (const account of accounts) {
      const state = await devices[0].account(account);
      assert.ok(state.balance >= 0, `${account} (seed ${seed})`);
    }
    console.log(
      `# soak seed ${seed}: commands per device ${stats.commands.join('/')}, accepted ${stats.accepted}, ` +
        `stored ${events.length}, re-decided ${redecided}, rejected ${redecidedAway}, offline periods ${stats.offline}, ` +
        `converged ${converged} ms after reconnect`,
    );
    for (const d of devices) await d.close();
  } finally {
    await server.stop();
  }
});
