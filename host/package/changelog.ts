// /usr/share/doc/stubdom-init/changelog.Debian: one entry, for the version this build is, naming
// the commit it was built from. Its date is the build's (SOURCE_DATE_EPOCH or the commit's).
import { wrap } from "./wrap.ts";
import { MAINTAINER, PACKAGE_NAME, type DebSpec } from "./debSpec.ts";

export interface BuildOrigin {
  /** The git commit the build comes from, and whether the tree had changes beyond it. */
  commit: string;
  dirty: boolean;
  /** Seconds since the epoch: every date and mtime of the package. */
  epoch: number;
  /** The year of the first commit, where the copyright years start. */
  firstYear: number;
}

/** RFC 5322 date, as Debian changelogs write it: "Sun, 06 Dec 2026 07:29:37 +0000". */
export const changelogDate = (epoch: number): string => new Date(epoch * 1000).toUTCString().replace(/GMT$/, "+0000");

/** "2026", or "2025-2026": from the first commit's year to the build's. */
export function copyrightYears(origin: BuildOrigin): string {
  const last = new Date(origin.epoch * 1000).getUTCFullYear();
  return origin.firstYear < last ? `${origin.firstYear}-${last}` : String(last);
}

/** YYYY-MM-DD, for the man page. */
export const isoDay = (epoch: number): string => new Date(epoch * 1000).toISOString().slice(0, 10);

export function changelogText(spec: DebSpec, origin: BuildOrigin): string {
  const from = `stubdom-init commit ${origin.commit.slice(0, 12)}${origin.dirty ? " with uncommitted changes" : ""}`;
  const item = wrap(`Built for Xen ${spec.release} (${spec.debian}) from ${from}.`, 74).map((l, i) => `${i === 0 ? "  * " : "    "}${l}`);
  return `${PACKAGE_NAME} (${spec.version}) ${spec.suite}; urgency=medium

${item.join("\n")}

 -- ${MAINTAINER}  ${changelogDate(origin.epoch)}
`;
}
