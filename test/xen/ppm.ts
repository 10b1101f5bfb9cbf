// The pictures QEMU's `screendump` writes (binary PPM, P6, 8 bits per channel), read back to look
// at their colours.

export interface Picture {
  width: number;
  height: number;
  /** "rrggbb" of the pixel at (x, y). */
  at(x: number, y: number): string;
  distinctColours(): number;
}

export function parsePpm(bytes: Uint8Array): Picture | undefined {
  const head = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(Buffer.from(bytes.subarray(0, 64)).toString("latin1"));
  if (!head) return undefined;
  const width = Number(head[1]);
  const height = Number(head[2]);
  const data = bytes.subarray(head[0].length);
  if (data.length < width * height * 3) return undefined;
  const hex = (i: number): string => Array.from(data.subarray(i, i + 3), (b) => b.toString(16).padStart(2, "0")).join("");
  return {
    width,
    height,
    at: (x, y) => hex((y * width + x) * 3),
    distinctColours: () => {
      const seen = new Set<number>();
      for (let i = 0; i < width * height * 3; i += 3) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      return seen.size;
    },
  };
}

/** The colour in the middle of each of `n` equal vertical bars across the picture. */
export const barColours = (p: Picture, n: number): string[] => Array.from({ length: n }, (_, i) => p.at(Math.floor(((i + 0.5) * p.width) / n), Math.floor(p.height / 2)));
