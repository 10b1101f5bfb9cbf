// A Debian source package of any suite (buildkit/debianSource.ts): which version apt offers, the
// newest by dpkg's ordering, and apt kept to its own state.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { newestVersion, privateAptOptions, showsrcVersions } from "../../buildkit/debianSource.ts";

test("showsrcVersions: every version of the named source package, none of another", () => {
  const text = "Package: qemu\nBinary: qemu-system\nVersion: 1:7.2+dfsg-7+deb12u18\n\nPackage: qemu\nVersion: 1:7.2+dfsg-7+deb12u15\n\nPackage: qemu-other\nVersion: 9\n";
  assert.equal(showsrcVersions(text, "qemu"), ["1:7.2+dfsg-7+deb12u18", "1:7.2+dfsg-7+deb12u15"]);
  assert.equal(showsrcVersions("", "qemu"), []);
});

const newest: [string[], string | undefined][] = [
  [["2025.04.26-1"], "2025.04.26-1"],
  [["2025.04.26-1", "2025.04.26-1+deb13u1"], "2025.04.26-1+deb13u1"],
  [["1:7.2+dfsg-7+deb12u9", "1:7.2+dfsg-7+deb12u18"], "1:7.2+dfsg-7+deb12u18"],
  [["1:1.0-1", "9.9-1"], "1:1.0-1"],
  [["2025.04.26-1~bpo12+1", "2025.04.26-1"], "2025.04.26-1"],
  [[], undefined],
];
for (const [versions, want] of newest) {
  test(`newestVersion ${JSON.stringify(versions)} -> ${want}`, () => assert.is(newestVersion(versions), want));
}

test("privateAptOptions: sources, lists and caches all under the given directory", () => {
  const o = privateAptOptions("/c/x");
  const values = o.filter((_, i) => i % 2 === 1);
  assert.ok(o.filter((_, i) => i % 2 === 0).every((f) => f === "-o"));
  for (const key of ["Dir::Etc::SourceList=/c/x/", "Dir::Etc::SourceParts=/c/x/", "Dir::State::Lists=/c/x/", "Dir::Cache=/c/x/"]) {
    assert.ok(values.some((v) => v.startsWith(key)), key);
  }
});

test.run();
