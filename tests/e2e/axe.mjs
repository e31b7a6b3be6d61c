// axe-core (npm, node_modules/axe-core) in a page of the end-to-end tests,
// in Chromium or Firefox: loaded once per page, then run at each width.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

const AXE = resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');

/** Loads axe into `page` (until it navigates). */
export async function loadAxe(page) {
  await page.evaluate((source) => {
    const script = document.createElement('script');
    script.textContent = source;
    document.head.append(script);
  }, await readFile(AXE, 'utf8'));
}

/** What axe finds in `page` as it is now, at 360 and 1200 px, one line per
 *  rule broken: the state, the width, the rule, its impact, where. Every
 *  rule axe runs by default (WCAG 2 A and AA, best practices). */
export async function audit(page, state) {
  const found = [];
  for (const width of [360, 1200]) {
    await page.setViewportSize({ width, height: 800 });
    await page.waitForFunction((w) => innerWidth === w, width);
    const violations = await page.evaluate(async () => {
      const { violations } = await window.axe.run(document, { resultTypes: ['violations'] });
      return violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
    });
    for (const v of violations) found.push(`${state} at ${width} px: ${v.id} (${v.impact}) on ${v.targets.join(', ')}`);
  }
  return found;
}
