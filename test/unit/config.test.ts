import { test } from "uvu";
import * as assert from "uvu/assert";
import Value from "typebox/value";
import { ConfigSchema } from "../../init/configSchema.ts";
import { cmdlineLayer, resolveConfig } from "../../init/config.ts";
import { parseSetting, type PropertySchema } from "../../init/schemaCheck.ts";

test("with no layer, every setting has its documented default, and TypeBox agrees the result is valid", () => {
  const { config, problems } = resolveConfig([]);
  assert.equal(problems, []);
  assert.is(config.restart, "on-failure");
  assert.is(config["restart-burst"], 5);
  assert.is(config["debug-shell"], false);
  assert.ok(Value.Check(ConfigSchema, config));
});

test("later layers win: command line over defaults, XenStore over command line", () => {
  const { config } = resolveConfig([
    cmdlineLayer("console=hvc0 stubdom.restart=always stubdom.debug-shell stubdom.log-level=debug"),
    { source: "xenstore", entries: [["restart", "no"]] },
  ]);
  assert.is(config.restart, "no");
  assert.is(config["debug-shell"], true);
  assert.is(config["log-level"], "debug");
});

test("unknown keys and bad values are sentences, and the previous value stays", () => {
  const { config, problems } = resolveConfig([cmdlineLayer("stubdom.restart=sometimes stubdom.restart-burst=0 stubdom.colour=blue")]);
  assert.is(config.restart, "on-failure");
  assert.is(config["restart-burst"], 5);
  assert.is(problems.length, 3);
  assert.match(problems[0], /kernel command line: restart "sometimes" is not one of no, on-failure, always; keeping "on-failure"/);
  assert.match(problems[1], /restart-burst 0 is below the minimum 1/);
  assert.match(problems[2], /unknown setting "colour"/);
});

// Referee: what our reader accepts, TypeBox's checker accepts too, and integer bounds agree.
const props = ConfigSchema.properties as unknown as Record<string, PropertySchema>;
const raws = ["", "0", "1", "5", "-3", "100", "101", "600001", "yes", "off", "always", "debug", "x".repeat(300), "3.5"];
for (const [key, prop] of Object.entries(props)) {
  test(`${key}: the reader and TypeBox agree on every sample`, () => {
    const schema = (ConfigSchema.properties as Record<string, unknown>)[key] as Parameters<typeof Value.Check>[0];
    for (const raw of raws) {
      const r = parseSetting(prop, raw);
      if (r.ok) assert.ok(Value.Check(schema, r.value), `${key}=${raw} accepted by us, refused by TypeBox`);
      else if (prop.type === "integer" && /^-?[0-9]+$/.test(raw)) assert.not.ok(Value.Check(schema, Number(raw)), `${key}=${raw}`);
      else if (prop.anyOf) assert.not.ok(Value.Check(schema, raw), `${key}=${raw}`);
    }
  });
}

test.run();
