import { test } from "uvu";
import * as assert from "uvu/assert";
import Value from "typebox/value";
import { ConfigSchema } from "../../init/configSchema.ts";
import { cmdlineLayer, resolveConfig } from "../../init/config.ts";
import { policyFrom, settingChanges } from "../../init/supervisor.ts";
import { parseSetting, type PropertySchema } from "../../init/schemaCheck.ts";

test("with no layer, every setting has its documented default, and TypeBox agrees the result is valid", () => {
  const { config, problems } = resolveConfig([]);
  assert.equal(problems, []);
  assert.is(config.restart, "no");
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
  assert.is(config.restart, "no");
  assert.is(config["restart-burst"], 5);
  assert.is(problems.length, 3);
  assert.match(problems[0], /kernel command line: restart "sometimes" is not one of no, on-failure, always; keeping "no"/);
  assert.match(problems[1], /restart-burst 0 is below the minimum 1/);
  assert.match(problems[2], /unknown setting "colour"/);
});

test("a refused value keeps the value in effect before, not the default (the live-config rule)", () => {
  const cmd = cmdlineLayer("");
  const good = resolveConfig([cmd, { source: "dom0", entries: [["restart", "always"], ["backoff-initial-ms", "1500"], ["log-level", "warn"]] }]);
  const { config, problems } = resolveConfig([cmd, { source: "dom0", entries: [["restart", "x"], ["backoff-initial-ms", "x"], ["log-level", "x"]] }], good.config);
  assert.is(config.restart, "always");
  assert.is(config["backoff-initial-ms"], 1500);
  assert.is(policyFrom(config, true).backoffInitialMs, 1500, "the next restart uses the kept delay");
  assert.is(config["log-level"], "warn");
  assert.match(problems[0], /dom0: restart "x" is not one of no, on-failure, always; keeping "always"/);
  assert.match(problems[1], /backoff-initial-ms "x" is not a whole number; keeping 1500/);
  assert.match(problems[2], /log-level "x" is not one of debug, info, warn, error; keeping "warn"/);
});

test("a setting dom0 removes falls back to the command line, then the default", () => {
  const cmd = cmdlineLayer("stubdom.restart=no");
  const before = resolveConfig([cmd, { source: "dom0", entries: [["restart", "always"], ["log-level", "debug"]] }]).config;
  const { config } = resolveConfig([cmd, { source: "dom0", entries: [] }], before);
  assert.is(config.restart, "no");
  assert.is(config["log-level"], "info");
});

test("an unreadable key is a problem naming it, and keeps the value in effect", () => {
  const before = resolveConfig([{ source: "dom0", entries: [["restart", "always"]] }]).config;
  const { config, problems } = resolveConfig([{ source: "/local/domain/5/stubdom/config", entries: [], unreadable: [["restart", "not UTF-8"], ["colour", "EACCES"]] }], before);
  assert.is(config.restart, "always");
  assert.equal(problems, [
    '/local/domain/5/stubdom/config/restart: cannot read it (not UTF-8); keeping "always"',
    `/local/domain/5/stubdom/config/"colour": cannot read it (EACCES), and it is not a known setting (known: ${Object.keys(ConfigSchema.properties).join(", ")})`,
  ]);
});

test("a huge value is quoted short in its sentence", () => {
  const { problems } = resolveConfig([{ source: "dom0", entries: [["restart-burst", "9".repeat(4000)], ["log-level", "z".repeat(4000)]] }]);
  for (const p of problems) assert.ok(p.length < 300, p);
  assert.match(problems[0], /restart-burst "9{64}"… \(4000 characters\) is above the maximum 100; keeping 5/);
});

test("setting changes are listed, and a boot-only one says it waits for the next boot", () => {
  const before = resolveConfig([]).config;
  const after = resolveConfig([{ source: "dom0", entries: [["restart", "always"], ["sandbox", "0"]] }]).config;
  assert.equal(settingChanges(before, after), ['restart "no" -> "always"', "sandbox true -> false (read at boot only: from the next boot)"]);
  assert.equal(settingChanges(after, after), []);
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
