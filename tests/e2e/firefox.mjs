// Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi, behind
// the small part of Playwright's API that the cross-browser tests use
// (tabs, faults, portable, layout, a11y), so one test file runs in both
// browsers.
// Nothing is downloaded: puppeteer-core brings no browser.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

/** Waits until `fn(...args)`, run in the page, is truthy: asked from here
 *  every 25 ms, not by the page's own animation frames or timers (which
 *  puppeteer's `waitForFunction` uses), because Firefox runs those about
 *  once a second in a tab that is not in front. A tab in the background
 *  would then show a change up to a second before a wait could see it. */
async function until(raw, timeout, fn, ...args) {
  const deadline = Date.now() + timeout;
  let failure;
  for (;;) {
    let timer;
    try {
      // A page busy past the deadline answers too late to count.
      const late = new Promise((ok) => (timer = setTimeout(ok, Math.max(deadline - Date.now(), 0), false)));
      if (await Promise.race([raw.evaluate(fn, ...args), late])) return;
    } catch (error) {
      // Navigating: the next document answers.
      failure = error;
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() >= deadline) {
      throw new Error(`Waiting failed: ${timeout}ms exceeded${failure ? ` (last: ${failure.message})` : ''}`);
    }
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

/** A text or RegExp, as it travels into the page. */
const pattern = (text) => (text instanceof RegExp ? { source: text.source, flags: text.flags } : { text });

// In the page: whether an element's text matches a pattern, and whether it
// is shown.
const PAGE_HELPERS = `
  window.__matches = (element, p) => {
    if (!p) return true;
    const text = element.textContent ?? '';
    return p.source !== undefined ? new RegExp(p.source, p.flags).test(text) : text.includes(p.text);
  };
  window.__shown = (element) => !!element && element.getClientRects().length > 0 && !element.closest('[hidden]');
  window.__find = (selector, text, index) =>
    [...document.querySelectorAll(selector)].filter((e) => window.__matches(e, text))[index] ?? null;
  // Playwright's getByText, getByRole('button', { name }) and getByLabel.
  window.__locate = (kind, name) => {
    const trimmed = (e) => (e.textContent ?? '').trim();
    if (kind === 'text') {
      const all = [...document.querySelectorAll('body *')].filter((e) => trimmed(e).includes(name));
      return all.find((e) => ![...e.children].some((c) => trimmed(c).includes(name))) ?? null;
    }
    if (kind === 'button') {
      const buttons = [...document.querySelectorAll('button')];
      return buttons.find((b) => trimmed(b) === name) ?? buttons.find((b) => trimmed(b).includes(name)) ?? null;
    }
    const label = [...document.querySelectorAll('label')].find((l) => trimmed(l) === name);
    return label ? document.getElementById(label.htmlFor) : document.querySelector(\`[aria-label="\${name}"]\`);
  };
  // Downloads: each link clicked with a download name is recorded, with
  // whether it was in the document and the text its URL still gives a
  // moment later (Firefox may read the blob only after click() returns).
  window.__downloads = [];
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    if (this.download) {
      const entry = { name: this.download, connected: this.isConnected, text: undefined };
      window.__downloads.push(entry);
      const href = this.href;
      setTimeout(() => fetch(href).then((r) => r.text()).then((t) => (entry.text = t), () => (entry.text = null)), 50);
    }
    return click.call(this);
  };
`;

class Locator {
  constructor(page, selector, text, index = 0) {
    Object.assign(this, { page, selector, text, index });
  }

  filter({ hasText }) {
    return new Locator(this.page, this.selector, pattern(hasText), this.index);
  }

  nth(index) {
    return new Locator(this.page, this.selector, this.text, index);
  }

  async waitFor({ timeout = 30_000 } = {}) {
    const at = [this.selector, this.text, this.index];
    await until(this.page.raw, timeout, (at) => window.__shown(window.__find(...at)), at);
  }

  textContent() {
    return this.page.raw.evaluate((at) => window.__find(...at)?.textContent ?? null, [this.selector, this.text, this.index]);
  }

  isVisible() {
    return this.page.raw.evaluate((at) => window.__shown(window.__find(...at)), [this.selector, this.text, this.index]);
  }

  async setInputFiles({ name, mimeType, buffer }) {
    await this.page.raw.evaluate(
      (selector, name, type, text) => {
        const input = document.querySelector(selector);
        const files = new DataTransfer();
        files.items.add(new File([text], name, { type }));
        input.files = files.files;
        input.dispatchEvent(new Event('change', { bubbles: true }));
      },
      this.selector,
      name,
      mimeType,
      buffer.toString('utf8'),
    );
  }
}

/** `getByText`, `getByRole('button')` and `getByLabel`, as Playwright reads them. */
class Found {
  constructor(page, kind, name) {
    Object.assign(this, { page, kind, name });
  }

  async waitFor({ timeout = 30_000 } = {}) {
    await until(this.page.raw, timeout, (kind, name) => window.__shown(window.__locate(kind, name)), this.kind, this.name);
  }

  isVisible() {
    return this.page.raw.evaluate((kind, name) => window.__shown(window.__locate(kind, name)), this.kind, this.name);
  }

  click() {
    return this.page.raw.evaluate((kind, name) => window.__locate(kind, name).click(), this.kind, this.name);
  }

  fill(value) {
    return this.page.raw.evaluate(
      (kind, name, value) => {
        const element = window.__locate(kind, name);
        element.value = value;
        element.dispatchEvent(new Event('input', { bubbles: true }));
        element.dispatchEvent(new Event('change', { bubbles: true }));
      },
      this.kind,
      this.name,
      value,
    );
  }
}
class Page {
  constructor(raw) {
    this.raw = raw;
  }

  goto(url) {
    return this.raw.goto(url);
  }

  reload() {
    return this.raw.reload();
  }

  close() {
    return this.raw.close();
  }

  evaluate(fn, arg) {
    return this.raw.evaluate(fn, arg);
  }

  setViewportSize({ width, height }) {
    return this.raw.setViewport({ width, height });
  }

  screenshot({ path, fullPage }) {
    return this.raw.screenshot({ path, fullPage });
  }

  async waitForFunction(fn, arg, { timeout = 30_000 } = {}) {
    await until(this.raw, timeout, fn, arg);
  }

  waitForTimeout(ms) {
    return new Promise((ok) => setTimeout(ok, ms));
  }

  on(event, listener) {
    this.raw.on(event, listener);
  }

  locator(selector) {
    return new Locator(this, selector);
  }

  getByText(text) {
    return new Found(this, 'text', text);
  }

  getByRole(role, { name }) {
    if (role !== 'button') throw new Error(`only buttons are found by role here, not ${role}`);
    return new Found(this, 'button', name);
  }

  getByLabel(label) {
    return new Found(this, 'label', label);
  }

  /** The next file the page offers for download (see PAGE_HELPERS): it must
   *  come from a link in the document whose URL still reads afterwards. */
  async waitForEvent(event) {
    if (event !== 'download') throw new Error(`only downloads are awaited here, not ${event}`);
    const seen = await this.raw.evaluate(() => window.__downloads.length);
    await until(this.raw, 30_000, (n) => window.__downloads.length > n && window.__downloads[n].text !== undefined, seen);
    const entry = await this.raw.evaluate((n) => window.__downloads[n], seen);
    if (!entry.connected) throw new Error(`the download link for ${entry.name} was not in the document`);
    if (entry.text === null) throw new Error(`the file ${entry.name} was gone before the browser could read it`);
    const path = join(await mkdtemp(join(tmpdir(), 'ledger-download-')), entry.name);
    await writeFile(path, entry.text);
    return { suggestedFilename: () => entry.name, path: async () => path };
  }
}

class Context {
  constructor(raw) {
    this.raw = raw;
    this.scripts = [];
  }

  /** Like Playwright's: `script` runs in every page opened after, before the page's own. */
  async addInitScript(script) {
    this.scripts.push(script);
  }

  async newPage() {
    const raw = await this.raw.newPage();
    await raw.evaluateOnNewDocument(PAGE_HELPERS);
    for (const script of this.scripts) await raw.evaluateOnNewDocument(script);
    return new Page(raw);
  }

  close() {
    return this.raw.close();
  }
}

/** Firefox ESR with Playwright's `newContext()`; pages of one context share localStorage.
 *  A `locale` (such as `de-DE`) is the whole browser's: Firefox takes it from prefs. */
export async function launchFirefox({ locale } = {}) {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
    headless: true,
    extraPrefsFirefox: locale ? { 'intl.locale.requested': locale, 'intl.accept_languages': locale } : {},
  });
  return {
    newContext: async () => new Context(await browser.createBrowserContext()),
    close: () => browser.close(),
  };
}
