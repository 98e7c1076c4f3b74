import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's chromium: never a playwright download (TOOLCHAIN.md). */
export const CHROMIUM = "/usr/bin/chromium";

// TOOLCHAIN.md's flags; the profile goes in launchPersistentContext's first
// argument (a --user-data-dir here makes the launch fail).
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/**
 * Launches headless chromium on a fresh profile. Throws, naming the install
 * command, when chromium is missing: `npm test` installs it as root (scripts/system-deps.js), so a missing
 * browser is a failure, not a reason to skip.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install it with \`apt-get update && apt-get install -y chromium\` (\`npm test\` does when run as root: scripts/system-deps.js)`);
  }
  const profile = mkdtempSync(join(tmpdir(), "duplex-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
    return {
      context,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
