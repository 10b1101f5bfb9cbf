// /usr/share/doc/stubdom-init/copyright in Debian's machine-readable format (DEP-5): stubdom-init
// is MIT; the stubdomctl bundle carries npm packages, the kernel is Linux (GPL-2), and the rootfs
// carries Debian's binaries under their own licences, listed from the image's manifest.
import { BUNDLE_PATH, PACKAGE_NAME, type DebSpec } from "./debSpec.ts";
import { wrap } from "./wrap.ts";

/** An npm package esbuild put into the stubdomctl bundle. */
export interface BundledPackage {
  name: string;
  version: string;
  license: string;
  /** Its licence file's "Copyright ..." lines, without the word. */
  copyright: string[];
}

/** What the rootfs holds, from its manifest (rootfs/manifestFile.ts): Debian package → version, and how the parts were made. */
export interface RootfsContents {
  packages: Record<string, string>;
  sources: Record<string, string>;
}

export interface CopyrightInput {
  spec: DebSpec;
  /** stubdom-init's copyright years: "2026", or "2025-2026". */
  years: string;
  bundled: BundledPackage[];
  rootfs: RootfsContents;
}


/** A field's continuation lines: one space, and " ." for an empty line. */
const continuation = (lines: string[]): string[] => lines.map((l) => (l === "" ? " ." : ` ${l}`));
const field = (name: string, first: string, rest: string[] = []): string[] => [`${name}: ${first}`.trimEnd(), ...continuation(rest)];
const para = (text: string): string[] => wrap(text, 76);

const MIT_TEXT = `Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;

export function copyrightText(c: CopyrightInput): string {
  const { spec } = c;
  const OURS = `${c.years} stubdom-init developers`;
  const boot = spec.firmwareDir.slice(1);
  const debianPackages = Object.entries(c.rootfs.packages)
    .filter(([name]) => !name.startsWith("src:"))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, version]) => `${name} ${version}`);
  const foreign = c.bundled.filter((b) => b.license !== "MIT");
  if (foreign.length > 0) {
    throw new Error(`stubdomctl bundles ${foreign.map((b) => `${b.name} (${b.license})`).join(", ")}: give its licence a paragraph in host/package/copyright.ts first`);
  }
  const paragraphs: string[][] = [
    [
      "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
      `Upstream-Name: ${PACKAGE_NAME}`,
      ...field("Comment", "", [
        ...para(
          `stubdom-init's own code is under the MIT licence. The package also carries the work of others: ` +
            `${c.bundled.length > 0 ? "npm packages bundled into stubdomctl, " : ""}the stub domain's Linux kernel, and in its rootfs binaries ` +
            `from ${spec.debian}'s packages, each under its own licence, as the paragraphs below say.`,
        ),
      ]),
    ],
    [...field("Files", "*"), ...field("Copyright", OURS), ...field("License", "MIT")],
    // Its own paragraph only when npm packages are in the bundle; otherwise "Files: *" covers it.
    c.bundled.length === 0 ? [] : [
      ...field("Files", BUNDLE_PATH.slice(1)),
      ...field("Copyright", OURS, c.bundled.flatMap((b) => b.copyright)),
      ...field("License", "MIT"),
      ...field("Comment", "", para(`stubdomctl, bundled by esbuild with these npm packages: ${c.bundled.map((b) => `${b.name} ${b.version} (${b.license})`).join(", ")}.`)),
    ],
    [
      ...field("Files", `${boot}/qemu-stubdom-linux-kernel`),
      ...field("Copyright", "Linus Torvalds and the other authors of Linux"),
      ...field("License", "GPL-2"),
      ...field("Comment", "", para(`Linux, built from Debian's ${c.rootfs.sources.kernel ?? "linux-source"}, with stubdom-init's config fragments and patches (kernel/ in its source).`)),
    ],
    [
      ...field("Files", `${boot}/qemu-stubdom-linux-rootfs`),
      ...field("Copyright", OURS, [
        "2017-2025 Fabrice Bellard",
        "2017-2025 Charlie Gordon",
        "the copyright holders of QEMU and of each Debian package listed below",
      ]),
      ...field("License", "MIT and GPL-2 and Debian-packages"),
      ...field("Comment", "", [
        ...para("An initramfs (a compressed cpio archive). It holds:"),
        ...para(
          `/init, stubdom-init's runtime: its own code (MIT) with QuickJS (MIT, Fabrice Bellard and Charlie Gordon; ${c.rootfs.sources.runtime ?? "from Debian's quickjs source package"}) and musl libc (MIT), linked statically; ` +
            "lib/stubdom/*.jsbc (its init and display bridge, as QuickJS bytecode) and etc/stubdom/*: stubdom-init's (MIT);",
        ),
        ...para(`usr/bin/qemu-system-i386 and usr/share/qemu/keymaps: QEMU (GPL-2), ${c.rootfs.sources.qemu ?? "built from Debian's qemu source package"}, with stubdom-init's patches (qemu/patches/ in its source);`),
        ...para("every other file: from these Debian packages, each under its licence (License: Debian-packages):"),
        ...debianPackages,
      ]),
    ],
    [...field("License", "MIT"), ...continuation(MIT_TEXT.split("\n").flatMap((p, i) => [...(i > 0 ? [""] : []), ...para(p)]))],
    [...field("License", "GPL-2"), ...continuation(para("On Debian systems, the full text of the GNU General Public License version 2 is in /usr/share/common-licenses/GPL-2."))],
    [
      ...field("License", "Debian-packages"),
      ...continuation(
        para(
          "Each of these files is under the licence of the Debian package it comes from, at the version listed: " +
            "its copyright file, /usr/share/doc/<package>/copyright on a system that has the package installed " +
            `(or in the package, from ${spec.suite}'s archive or snapshot.debian.org), names its authors and licences. ` +
            "Their sources are Debian's source packages of those versions.",
        ),
      ),
    ],
  ];
  return `${paragraphs.filter((p) => p.length > 0).map((p) => p.join("\n")).join("\n\n")}\n`;
}
