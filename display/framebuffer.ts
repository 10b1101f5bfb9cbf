// Where the guest's pixels go in xen-fbfront's framebuffer. Its memory and largest mode are fixed
// at boot (`xen_fbfront.video=MiB,width,height` on the kernel command line, 800x600 without), and
// its row stride stays that mode's width however the mode changes later. Pure.

export interface FbGeometry {
  /** The largest mode the vfb takes (its boot mode). */
  maxWidth: number;
  maxHeight: number;
  /** Bytes from one row to the next. */
  stride: number;
}

export class FbError extends Error {}

const BYTES_PER_PIXEL = 4;
/** xen-fbfront's mode without the parameter. */
const DEFAULT_MODE = { width: 800, height: 600 };

/**
 * The vfb's geometry, from its sysfs files (`stride`, `bits_per_pixel`) and the boot mode on the
 * command line. The stride decides the width when the two disagree (fbfront falls back to 800x600
 * when the memory asked for cannot hold the mode).
 */
export function fbGeometry(sysfs: (name: string) => string, cmdline: string): FbGeometry {
  const bpp = Number(sysfs("bits_per_pixel"));
  if (bpp !== 32) throw new FbError(`the vfb has ${sysfs("bits_per_pixel")} bits per pixel; the bridge draws 32`);
  const stride = Number(sysfs("stride"));
  if (!Number.isInteger(stride) || stride <= 0) throw new FbError(`the vfb's stride is ${JSON.stringify(sysfs("stride"))}`);
  const m = /(?:^|\s)xen_fbfront\.video=(\d+),(\d+),(\d+)(?:\s|$)/.exec(cmdline);
  const asked = m ? { width: Number(m[2]), height: Number(m[3]) } : DEFAULT_MODE;
  const mode = asked.width * BYTES_PER_PIXEL === stride ? asked : DEFAULT_MODE;
  return { maxWidth: stride / BYTES_PER_PIXEL, maxHeight: mode.height, stride };
}

/** Linux's fb_set_var refuses a mode under 8x8 with EINVAL (fbmem.c: bitfill_aligned assumes it). */
export const FB_MIN_SIDE = 8;

/**
 * The mode to give the vfb for a guest mode: the same, or as much of it as fits, and never under
 * 8x8. A guest reprogramming its VGA registers passes through modes such as 720x1 on its way to
 * the next one; the vfb then shows those rows at the top of an 8-row screen until the next mode.
 */
export function fitMode(g: FbGeometry, width: number, height: number): { width: number; height: number; clipped: boolean } {
  const w = Math.max(FB_MIN_SIDE, Math.min(width, g.maxWidth));
  const h = Math.max(FB_MIN_SIDE, Math.min(height, g.maxHeight));
  return { width: w, height: h, clipped: w < width || h < height };
}

/**
 * Where a row of `bytes` at (x, y) of the guest screen goes, and how much of it fits; undefined
 * when none of it is inside the vfb.
 */
export function rowOffset(g: FbGeometry, screen: { width: number; height: number }, x: number, y: number, bytes: number): { offset: number; bytes: number } | undefined {
  const visibleWidth = Math.min(screen.width, g.maxWidth);
  if (y >= Math.min(screen.height, g.maxHeight) || x >= visibleWidth) return undefined;
  const fits = Math.min(bytes, (visibleWidth - x) * BYTES_PER_PIXEL);
  return { offset: y * g.stride + x * BYTES_PER_PIXEL, bytes: fits };
}
