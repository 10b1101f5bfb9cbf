// /usr/share/lintian/overrides/stubdom-init: the lintian tags this package cannot fix, each with
// the reason, as lintian reads the file (comment lines are shown with the override).
import { PACKAGE_NAME, type DebSpec } from "./debSpec.ts";

export interface Override {
  why: string;
  tag: string;
  /** The context lintian prints after the tag (a path, in brackets), when it is for one place. */
  context?: string;
}

const NO_ADDRESS = "stubdom-init has no public mail address yet; the Maintainer names its developers (debSpec.ts MAINTAINER).";

export const overrides = (_spec: DebSpec): Override[] => [
  { why: NO_ADDRESS, tag: "bogus-mail-host" },
  { why: NO_ADDRESS, tag: "bogus-mail-host-in-debian-changelog" },
];

export function lintianOverridesText(spec: DebSpec): string {
  return overrides(spec)
    .map((o) => `# ${o.why}\n${PACKAGE_NAME}: ${o.tag}${o.context ? ` ${o.context}` : ""}\n`)
    .join("\n");
}
