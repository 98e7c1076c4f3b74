import { launchChromium, type Browser } from "../../test-support/chromium";

// Opens the page in Chromium as a user would and waits for the four outcomes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startPage } = require("./page.js") as { startPage(port: number, host: string): Promise<{ port: number; close(): Promise<void> }> };

let page: { port: number; close(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  page = await startPage(0, "127.0.0.1");
  browser = await launchChromium();
}, 60000);

afterAll(async () => {
  await browser?.close();
  await page?.close();
});

test("the page shows the four conversations in the browser", async () => {
  const tab = await browser.context.newPage();
  await tab.goto(`http://127.0.0.1:${page.port}/`);
  // 3 is dropped after connectTimeout (3 s); 2 answers within 5 s
  await tab.waitForFunction(() => {
    const r = (window as unknown as { results: Record<string, string> }).results;
    return r.s1 && r.s2 && r.s3 && r.s4;
  }, undefined, { timeout: 15000 });
  const results = await tab.evaluate(() => (window as unknown as { results: Record<string, string> }).results);
  expect(results).toEqual({
    s1: "echo: hello",
    s2: "NOT_ENGINE_IO",
    s3: "closed",
    s4: '431["hi browser"]',
  });
  expect(await tab.textContent("#s3")).toMatch(/<- 0\{"sid":/);
}, 30000);
