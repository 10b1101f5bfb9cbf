// README's generated tables are the ones their sources render: the settings from
// init/configSchema.ts, the health keys from init/healthSchema.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { healthTable, settingsTable } from "../../host/image/readmeTables.ts";

const section = (name: string): string => {
  const readme = readFileSync("README.md", "utf8");
  const m = new RegExp(`<!-- ${name} table:[^\\n]*-->\\n([\\s\\S]*?)\\n<!-- end of ${name} table -->`).exec(readme);
  assert.ok(m, `README has the ${name} table markers`);
  return m[1];
};

test("README's settings table is the one the schema renders", () => assert.fixture(section("settings"), settingsTable()));
test("README's health table is the one the health contract renders", () => assert.fixture(section("health"), healthTable()));

test.run();
