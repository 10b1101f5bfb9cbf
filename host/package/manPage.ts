// stubdomctl.8, made of stubdomctl's own help texts (`stubdomctl --help` and each command's
// `--help`, taken from the packaged bundle), so the man page and the tool cannot disagree.
import { PACKAGE_NAME, type DebSpec } from "./debSpec.ts";

export interface ManPageInput {
  spec: DebSpec;
  /** `stubdomctl --help` of the packaged tool. */
  usage: string;
  /** Each command's `stubdomctl <name> --help`, in the order the usage lists them. */
  commands: { name: string; help: string }[];
  /** The build's date, YYYY-MM-DD. */
  date: string;
}

/**
 * The command names `stubdomctl --help` lists: the lines of its "commands:" section that start
 * with two spaces and a word (a command's continuation lines are indented further).
 */
export function commandNamesFromUsage(usage: string): string[] {
  const start = usage.search(/^commands:\n/m);
  if (start < 0) throw new Error(`stubdomctl --help has no "commands:" section:\n${usage}`);
  return usage
    .slice(start)
    .split("\n\n")[0]!
    .split("\n")
    .slice(1)
    .map((l) => /^ {2}([a-z][a-z0-9-]*)(?: |$)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

/**
 * One line of literal text for roff: backslashes, hyphens and quotes written so that they render
 * as the ASCII the tool prints, and a leading dot or quote kept from being read as a request.
 */
export function roffLiteral(line: string): string {
  const escaped = line.replace(/\\/g, "\\e").replace(/-/g, "\\-").replace(/'/g, "\\(aq").replace(/`/g, "\\(ga");
  return /^[.]/.test(escaped) ? `\\&${escaped}` : escaped;
}

/** A help text as a no-fill block: printed line for line, as the terminal shows it. */
const literalBlock = (text: string): string[] => [".nf", ...text.replace(/\n+$/, "").split("\n").map(roffLiteral), ".fi"];

export function manPage(m: ManPageInput): string {
  const { spec } = m;
  const lines = [
    `.\\" stubdomctl.8: made by host/package/manPage.ts from stubdomctl's own --help texts.`,
    `.TH STUBDOMCTL 8 "${m.date}" "${PACKAGE_NAME} ${spec.version}" "System Administration"`,
    ".SH NAME",
    `stubdomctl \\- health and settings of the Xen stub domains of ${roffLiteral(PACKAGE_NAME)}`,
    ".SH SYNOPSIS",
    ".B stubdomctl",
    ".I command",
    ".RI [ options ]",
    ".SH DESCRIPTION",
    `stubdomctl is the dom0 tool of ${roffLiteral(PACKAGE_NAME)}, a Linux\\-based device\\-model stub domain whose PID 1 ` +
      "supervises QEMU and reports its health to XenStore. It reads that health and changes a running stub domain's settings. " +
      `This is the package for Xen ${spec.release} (${spec.debian}). What follows is the tool's own help, ` +
      "as \\fBstubdomctl \\-\\-help\\fR and \\fBstubdomctl\\fR \\fIcommand\\fR \\fB\\-\\-help\\fR print it.",
    ".PP",
    ...literalBlock(m.usage),
    ".SH COMMANDS",
    ...m.commands.flatMap((c) => [`.SS ${c.name}`, ...literalBlock(c.help)]),
    ".SH FILES",
    ".TP",
    `.I ${roffLiteral(`${spec.firmwareDir}/qemu-stubdom-linux-kernel`)}`,
    "The stub domain's kernel, where libxl looks for it when an HVM guest's xl.cfg has",
    "\\fBdevice_model_stubdomain_override = 1\\fR and no \\fBstubdomain_kernel\\fR line.",
    ".TP",
    `.I ${roffLiteral(`${spec.firmwareDir}/qemu-stubdom-linux-rootfs`)}`,
    "Its rootfs (the supervisor, QEMU and what they use), likewise unless xl.cfg has \\fBstubdomain_ramdisk\\fR.",
    ".SH SEE ALSO",
    ".BR xl (1),",
    ".BR xl.cfg (5),",
    ".BR xenstore\\-ls (1)",
  ];
  return `${lines.join("\n")}\n`;
}
