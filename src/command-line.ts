// The service's command line: it takes no arguments but --help and --version (everything else is
// configured by environment variables), so an unknown argument is a mistake to point out.
import { APP_VERSION } from "./app-version.js";
import { serviceOptions } from "./config.js";

export type CommandLine = { run: "service" } | { run: "exit"; code: number; stdout?: string; stderr?: string };

/** First sentence of an option's documentation, cut for a terminal line. */
function summary(doc: string): string {
  const sentence = (/^(.*?[.:])(\s|$)/.exec(doc)?.[1] ?? doc).replace(/`/g, "");
  return sentence.length > 100 ? `${sentence.slice(0, 97)}...` : sentence;
}

export function helpText(): string {
  const lines = [
    "Usage: node dist/src/main.js   (or: npm start)",
    "",
    "Switchboard: a multi-agent chat router (native /api/v1 and OpenAI-compatible /v1 endpoints),",
    "traced in Langfuse or, without Langfuse keys, in a local trace viewer.",
    "",
    "Arguments: --help, --version. Everything else is set with environment variables;",
    "docs/configuration.md explains each one. The variables, by section (default in brackets):",
  ];
  let section = "";
  for (const [name, spec] of Object.entries(serviceOptions)) {
    if (spec.section !== section) {
      section = spec.section;
      lines.push("", `${section}:`);
    }
    const shown = spec.secret || spec.default === undefined ? "" : ` [${String(spec.default)}]`;
    lines.push(`  ${name}${shown}`, `      ${summary(spec.doc)}`);
  }
  return `${lines.join("\n")}\n`;
}

export function readCommandLine(args: readonly string[]): CommandLine {
  if (args.length === 0) return { run: "service" };
  const [first] = args;
  if (first === "--help" || first === "-h") return { run: "exit", code: 0, stdout: helpText() };
  if (first === "--version" || first === "-v") return { run: "exit", code: 0, stdout: `${APP_VERSION}\n` };
  return {
    run: "exit",
    code: 2,
    stderr: `switchboard: unknown argument ${JSON.stringify(first)}; the service is configured by environment variables (see --help)\n`,
  };
}
