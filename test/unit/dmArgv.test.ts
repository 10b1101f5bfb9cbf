import { test } from "uvu";
import * as assert from "uvu/assert";
import { DmArgvError, orderDmArgvKeys } from "../../init/dmArgv.ts";
import { argKey } from "../../host/seed.ts";

test("keys sort numerically, so 1000 comes after 999 (a lexical sort puts it after 100)", () => {
  const keys = Array.from({ length: 1500 }, (_, i) => argKey(i + 1)).reverse();
  const ordered = orderDmArgvKeys(keys);
  assert.is(ordered.length, 1500);
  assert.is(ordered[998], "999");
  assert.is(ordered[999], "1000");
  assert.is(ordered[1499], "1500");
});

const bad: [string, string[], RegExp][] = [
  ["empty", [], /empty/],
  ["a gap", ["001", "002", "004"], /gap: expected argument 3, found key 004/],
  ["not starting at 1", ["002"], /expected argument 1/],
  ["a stray key", ["001", "extra"], /not argument numbers: extra/],
  ["two keys for one argument (01 beside 001)", ["001", "002", "01"], /two keys for argument 1: 01 and 001/],
  ["two keys for one argument (1 beside 001)", ["1", "001"], /two keys for argument 1: 1 and 001/],
  ["a key too long to be a number", ["001", "1".repeat(40)], /not argument numbers: 1111/],
];
for (const [name, keys, re] of bad) {
  test(`dm-argv with ${name} is refused with a sentence`, () => {
    try {
      orderDmArgvKeys(keys);
      assert.unreachable("should throw");
    } catch (e) {
      assert.instance(e, DmArgvError);
      assert.match((e as Error).message, re);
    }
  });
}

test.run();
