// Where the bridge puts the guest's rows in xen-fbfront's framebuffer: its boot mode from the
// command line and sysfs, the mode it is given for each guest mode, and rows clipped to it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fbGeometry, fitMode, FbError, rowOffset } from "../../display/framebuffer.ts";

const sysfs = (files: Record<string, string>) => (name: string): string => {
  const v = files[name];
  if (v === undefined) throw new Error(`no ${name}`);
  return v;
};

test("geometry: the boot mode from xen_fbfront.video, checked against the stride", () => {
  const cmd = "xen_privcmd.unrestricted=1 quiet console=hvc0 xen_fbfront.video=4,1024,768 loglevel=4";
  assert.equal(fbGeometry(sysfs({ bits_per_pixel: "32", stride: "4096" }), cmd), { maxWidth: 1024, maxHeight: 768, stride: 4096 });
  assert.equal(fbGeometry(sysfs({ bits_per_pixel: "32", stride: "3200" }), "quiet"), { maxWidth: 800, maxHeight: 600, stride: 3200 }, "no parameter: 800x600");
  assert.equal(fbGeometry(sysfs({ bits_per_pixel: "32", stride: "3200" }), cmd), { maxWidth: 800, maxHeight: 600, stride: 3200 }, "fbfront fell back: the stride says so");
  assert.throws(() => fbGeometry(sysfs({ bits_per_pixel: "16", stride: "2048" }), cmd), (e: Error) => e instanceof FbError && /16 bits per pixel/.test(e.message));
});

const g = { maxWidth: 1024, maxHeight: 768, stride: 4096 };
test("modes: the guest's when it fits, else the largest, said to be clipped", () => {
  assert.equal(fitMode(g, 720, 400), { width: 720, height: 400, clipped: false });
  assert.equal(fitMode(g, 1024, 768), { width: 1024, height: 768, clipped: false });
  assert.equal(fitMode(g, 1280, 1024), { width: 1024, height: 768, clipped: true });
});

test("modes under 8x8, which Linux's fb_set_var refuses, get an 8-pixel side (seen on the bed: 720x1 mid-switch)", () => {
  assert.equal(fitMode(g, 720, 1), { width: 720, height: 8, clipped: false });
  assert.equal(fitMode(g, 0, 0), { width: 8, height: 8, clipped: false });
});

test("rows: at y * stride + x * 4, cut at the vfb's edge, dropped below it", () => {
  assert.equal(rowOffset(g, { width: 720, height: 400 }, 8, 2, 16), { offset: 2 * 4096 + 32, bytes: 16 });
  assert.equal(rowOffset(g, { width: 1280, height: 1024 }, 1000, 5, 100 * 4), { offset: 5 * 4096 + 4000, bytes: 24 * 4 });
  assert.is(rowOffset(g, { width: 1280, height: 1024 }, 1100, 5, 40), undefined);
  assert.is(rowOffset(g, { width: 1280, height: 1024 }, 0, 800, 40), undefined);
});

test.run();
