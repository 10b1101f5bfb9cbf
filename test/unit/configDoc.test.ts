import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { settingsTable } from "../../host/configDoc.ts";

test("README's settings table is the one the schema renders", () => {
  const readme = readFileSync("README.md", "utf8");
  const m = /<!-- settings table:[^\n]*-->\n([\s\S]*?)\n<!-- end of settings table -->/.exec(readme);
  assert.ok(m, "README has the settings table markers");
  assert.fixture(m[1], settingsTable());
});

test.run();
