import { doctor } from "./doctor";
import { formatReport } from "./format";
import { ExitCode } from "./report";

const USAGE = `Usage: duplex doctor <url> [--path <path>] [--timeout <ms>] [--json]

Probes <url> and explains what answers there: Engine.IO v4 or v3, a plain
WebSocket server, a plain HTTP server, or nothing; which transports work;
the handshake values and round-trip times.

  --path <path>    engine path (default: the URL's path if any, else
                   /socket.io/, then /engine.io/ if that finds no Engine.IO)
  --timeout <ms>   time each request may take (default 5000)
  --json           print the report as JSON

Exit codes: 0 healthy Engine.IO v4, 2 usage, 3 nothing answers, 4 plain HTTP,
5 plain WebSocket, 6 Engine.IO v3, 7 Engine.IO but no transport works,
1 internal error. See packages/cli/README.md.
`;

interface Args {
  url: string;
  path?: string;
  timeout: number;
  json: boolean;
}

/** Reads `doctor <url> [options]`; a string is the usage error to print. */
export function parseArgs(argv: readonly string[]): Args | string {
  const [command, ...rest] = argv;
  if (command !== "doctor") return command === undefined ? "expected a command" : `unknown command ${JSON.stringify(command)}`;
  const args: Partial<Args> & { timeout: number; json: boolean } = { timeout: 5000, json: false };
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].startsWith("--") ? rest[i].split(/=(.*)/s, 2) : [rest[i]];
    const value = () => inline ?? rest[++i];
    if (flag === "--json") args.json = true;
    else if (flag === "--path") {
      const v = value();
      if (!v) return "--path needs a value";
      args.path = v;
    } else if (flag === "--timeout") {
      const v = Number(value());
      if (!Number.isInteger(v) || v <= 0) return "--timeout needs a positive whole number of milliseconds";
      args.timeout = v;
    } else if (flag.startsWith("-")) return `unknown option ${flag}`;
    else if (args.url === undefined) args.url = flag;
    else return `unexpected argument ${JSON.stringify(flag)}`;
  }
  if (args.url === undefined) return "expected a URL";
  return args as Args;
}

/** The `duplex` command; resolves with the exit code. */
export async function main(argv: readonly string[], out = process.stdout, err = process.stderr): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h") || argv.length === 0) {
    (argv.length === 0 ? err : out).write(USAGE);
    return argv.length === 0 ? ExitCode.USAGE : 0;
  }
  const args = parseArgs(argv);
  if (typeof args === "string") {
    err.write(`duplex: ${args}\n\n${USAGE}`);
    return ExitCode.USAGE;
  }
  let report;
  try {
    report = await doctor(args.url, { path: args.path, timeout: args.timeout });
  } catch (e) {
    if (e instanceof TypeError && /URL/i.test(e.message)) {
      err.write(`duplex: ${e.message}\n`);
      return ExitCode.USAGE;
    }
    throw e;
  }
  out.write(args.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report, Math.min(out.columns || 100, 120)));
  return report.exitCode;
}
