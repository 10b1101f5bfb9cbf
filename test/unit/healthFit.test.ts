// Health values cut to fit xenstored's node size: lists by whole lines, sentences by characters,
// the cut always marked, never more than the limit, never splitting a character.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fitValue, HEALTH_VALUE_MAX, utf8Length } from "../../init/healthFit.ts";
import { quoteShort } from "../../init/quoteShort.ts";

test("the limit leaves room for C xenstored's record header and five permissions under 2048", () => {
  assert.ok(24 + 8 * 5 + HEALTH_VALUE_MAX < 2048);
});

const cases: [string, string, number, string][] = [
  ["a value that fits is kept", "QEMU exited with code:1", 100, "QEMU exited with code:1"],
  ["an empty value is kept", "", 10, ""],
  ["a list keeps whole lines and counts the rest", "first problem\nsecond problem\nthird problem", 30, "first problem\n…(+2 more)"],
  ["a sentence keeps its start and counts the bytes cut", "a".repeat(100), 40, `${"a".repeat(20)}…(+80 more bytes)`],
  ["one line longer than the limit is cut as a sentence", `${"b".repeat(60)}\nshort`, 40, `${"b".repeat(21)}…(+45 more bytes)`],
];
for (const [name, value, max, want] of cases) {
  test(`fitValue: ${name}`, () => {
    const got = fitValue(value, max);
    assert.is(got, want);
    assert.ok(utf8Length(got) <= max, `${utf8Length(got)} bytes`);
  });
}

test("fitValue never splits a multi-byte character and stays within the limit", () => {
  for (const ch of ["é", "€", "😀"]) {
    for (let max = 20; max < 40; max++) {
      const got = fitValue(ch.repeat(50), max);
      assert.ok(utf8Length(got) <= max, `${ch} at ${max}: ${utf8Length(got)}`);
      assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(got), `${ch} at ${max}: a half surrogate pair`);
      assert.ok(Buffer.from(got, "utf8").toString("utf8") === got);
    }
  }
});

test("utf8Length counts as UTF-8 does", () => {
  for (const s of ["", "abc", "é", "€uro", "😀!", "a\u0000b"]) assert.is(utf8Length(s), Buffer.byteLength(s, "utf8"), s);
});

test("quoteShort quotes short values and cuts long ones, saying how long they were", () => {
  assert.is(quoteShort("on-failure"), '"on-failure"');
  assert.is(quoteShort("x".repeat(100), 5), '"xxxxx"… (100 characters)');
});

test.run();
