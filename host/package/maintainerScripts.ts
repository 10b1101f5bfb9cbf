// The maintainer scripts of one package, as text: for the releases whose Debian packages may lack
// libxl's /usr/bin/vchan-socket-proxy (debSpec.ts vchanLink), a postinst that makes the link when
// nothing is at that path and a postrm that removes it again only while it is still that link and
// no package has taken the path over. The path is never a file of this package: later
// xen-utils-common versions ship it themselves, and two packages may not own one path.
// Every path is under $DPKG_ROOT, which dpkg sets for maintainer scripts (empty for /).
import { LIBXL_VCHAN_PROXY, type DebSpec } from "./debSpec.ts";

export type ScriptName = "postinst" | "postrm";

/** The link's target, relative as Debian links within /usr are; the absolute form counts as ours too. */
export const relativeTarget = (linkPath: string, target: string): string => {
  const from = linkPath.split("/").slice(1, -1);
  const to = target.split("/").slice(1);
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++;
  return [...from.slice(common).map(() => ".."), ...to.slice(common)].join("/");
};

const postinst = (link: string, target: string): string => `#!/bin/sh
# stubdom-init postinst: libxl starts the dom0 end of a Linux stubdom's QMP channel as
# ${link}; xen-utils installs it as ${target}, and only some xen-utils-common
# versions link it into /usr/bin. Make that link when nothing is at the path.
set -e

link="$DPKG_ROOT${link}"

case "$1" in
configure|abort-upgrade|abort-remove|abort-deconfigure)
	if [ ! -e "$link" ] && [ ! -L "$link" ]; then
		ln -s ${relativeTarget(link, target)} "$link"
	fi
	;;
*)
	echo "postinst called with unknown argument '$1'" >&2
	exit 1
	;;
esac

exit 0
`;

const postrm = (link: string, target: string): string => `#!/bin/sh
# stubdom-init postrm: remove the ${link} link the postinst made, but only while it
# is still that link and no package owns the path (a later xen-utils-common ships it).
set -e

link="$DPKG_ROOT${link}"

ours() {
	[ -L "$link" ] || return 1
	case "$(readlink "$link")" in
	${relativeTarget(link, target)}|${target}) ;;
	*) return 1 ;;
	esac
	owned=0
	dpkg-query -S ${link} >/dev/null 2>&1 || owned=$?
	# 1: no package owns the path; 0 (owned) or anything else (cannot tell): leave it.
	[ "$owned" -eq 1 ]
}

case "$1" in
remove|purge|abort-install|disappear)
	if ours; then
		rm -f "$link"
	fi
	;;
upgrade|failed-upgrade|abort-upgrade)
	;;
*)
	echo "postrm called with unknown argument '$1'" >&2
	exit 1
	;;
esac

exit 0
`;

/** The package's maintainer scripts by name; none for a release whose packages ship the link. */
export function maintainerScripts(spec: DebSpec): Partial<Record<ScriptName, string>> {
  if (!spec.vchanLink) return {};
  return { postinst: postinst(LIBXL_VCHAN_PROXY, spec.vchanLink), postrm: postrm(LIBXL_VCHAN_PROXY, spec.vchanLink) };
}
