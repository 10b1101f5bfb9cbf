// stubdomctl: the dom0-side tool. This first cut has `run` (dev mode) and `xenstored`.
import { pathToFileURL } from "node:url";
import { runCommand } from "./cmdRun.ts";
import { xenstoredCommand } from "./cmdXenstored.ts";

const USAGE = `usage: stubdomctl <command> [options]

commands:
  run [--memory MiB] [--once]   boot the stubdom in dev mode (QEMU, no Xen) with the demo guest
  xenstored --socket PATH       run the development XenStore daemon in the foreground
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "run":
      return runCommand(rest);
    case "xenstored":
      return xenstoredCommand(rest);
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`stubdomctl: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
      return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      process.stderr.write(`stubdomctl: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
