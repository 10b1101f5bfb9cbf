import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEMO_GUEST_LINE, demoGuestImage } from "../../qemu/demoGuest.ts";

test("the demo guest is one boot sector with the signature and the line", () => {
  const img = demoGuestImage();
  assert.is(img.length, 512);
  assert.equal([img[510], img[511]], [0x55, 0xaa]);
  assert.ok(Buffer.from(img).includes(Buffer.from(`${DEMO_GUEST_LINE}\r\n\0`)));
  // mov si points at the message inside the sector loaded at 0x7c00.
  const si = img[6] | (img[7] << 8);
  assert.is(Buffer.from(img.subarray(si - 0x7c00)).toString("latin1").split("\r\n")[0], DEMO_GUEST_LINE);
});

test("a line that does not fit is refused", () => {
  assert.throws(() => demoGuestImage("x".repeat(600)), /too long/);
});

test.run();
