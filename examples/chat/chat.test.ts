import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launchChromium, type Browser } from "../../test-support/chromium";

// Two (then three) Chromium pages chat as people would: same channel, another
// channel, typing, delivered ticks, history on join, and long-polling only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startChat } = require("./server.js") as {
  startChat(opts: { port: number; host: string }): Promise<{ port: number; close(): Promise<void> }>;
};

// `SCREENSHOTS=1 npx jest examples/chat` refreshes the pictures in docs/; other runs keep them out of the tree.
const SCREENSHOTS = process.env.SCREENSHOTS ? join(__dirname, "../../docs/screenshots") : join(tmpdir(), "duplex-screenshots");
let chat: { port: number; close(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  chat = await startChat({ port: 0, host: "127.0.0.1" });
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 60000);

afterAll(async () => {
  await browser?.close();
  await chat?.close();
});

async function open(query: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${chat.port}/?${query}`);
  await page.waitForFunction(() => document.querySelector("#status")?.getAttribute("data-state") === "connected");
  return page;
}

async function inRoom(page: Page, room: string): Promise<void> {
  await page.waitForFunction((r) => document.querySelector("#room-title")?.textContent === `#${r}`, room);
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

const texts = (page: Page) => page.$$eval("#messages li .text", (els) => els.map((e) => e.textContent));

test("two people chat in one channel, not in another; ticks, typing, history", async () => {
  const alice = await open("nickname=alice&room=general");
  const bob = await open("nickname=bob&room=general");
  await inRoom(alice, "general");
  await inRoom(bob, "general");
  await alice.waitForFunction(() => document.querySelector("#users")?.textContent?.includes("bob"));

  // typing indicator
  await bob.type("#text", "hel");
  await alice.waitForFunction(() => document.querySelector("#typing")?.textContent === "bob is typing…");
  await bob.fill("#text", "");

  // a message, delivered tick on the sender's side
  await say(alice, "hello bob");
  await bob.waitForFunction(() => [...document.querySelectorAll("#messages .text")].some((e) => e.textContent === "hello bob"));
  await alice.waitForFunction(() => document.querySelector("#messages li:last-child .tick")?.textContent === "✓");
  expect(await alice.getAttribute("#messages li:last-child .tick", "title")).toBe("delivered");
  await say(bob, "hi alice");
  await alice.waitForFunction(() => [...document.querySelectorAll("#messages .text")].some((e) => e.textContent === "hi alice"));

  // the connection state and transport are shown
  expect(await alice.textContent("#status")).toMatch(/^connected · (websocket|polling)/);
  await alice.screenshot({ path: join(SCREENSHOTS, "chat-alice.png") });

  // bob moves to #random: alice's messages in #general no longer reach him
  await bob.click('#channels a[data-room="random"]');
  await inRoom(bob, "random");
  await say(alice, "only for general");
  await alice.waitForFunction(() => document.querySelector("#messages li:last-child .tick")?.textContent === "✓");
  await say(bob, "anyone in random?");
  await bob.waitForFunction(() => document.querySelector("#messages li:last-child .tick")?.textContent === "✓");
  expect(await texts(bob)).toEqual(["anyone in random?"]);
  expect(await texts(alice)).not.toContain("anyone in random?");

  // a newcomer over long-polling only gets the last messages of #general on join
  const carol = await open("nickname=carol&room=general&transport=polling");
  await inRoom(carol, "general");
  await carol.waitForFunction(() => document.querySelectorAll("#messages li.history").length >= 3);
  expect(await texts(carol)).toEqual(["hello bob", "hi alice", "only for general"]);
  expect(await carol.textContent("#status")).toMatch(/^connected · polling/);
  await say(carol, "polling works too");
  await alice.waitForFunction(() => [...document.querySelectorAll("#messages .text")].some((e) => e.textContent === "polling works too"));
  await carol.waitForFunction(() => document.querySelector("#messages li:last-child .tick")?.textContent === "✓");
  await carol.screenshot({ path: join(SCREENSHOTS, "chat-carol-polling.png") });
}, 60000);

test("a nickname the server refuses is explained in the page", async () => {
  const page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${chat.port}/?nickname=${encodeURIComponent("<script>")}`);
  await page.waitForFunction(() => document.querySelector("#login-error")?.textContent?.startsWith("invalid nickname"));
  expect(await page.isVisible("#chat")).toBe(false);
}, 30000);
