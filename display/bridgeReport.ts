// What the display bridge tells the init, one line each on its stdout, and the init's reading of
// them into the health keys under display/ (healthSchema.ts). Pure.

export type BridgeReport =
  | { kind: "connected"; name: string }
  | { kind: "mode"; width: number; height: number }
  | { kind: "frames"; count: number }
  | { kind: "input"; device: string }
  /** Something the bridge cannot do, said once; it goes on with the rest. */
  | { kind: "problem"; sentence: string };

export function formatReport(r: BridgeReport): string {
  switch (r.kind) {
    case "connected":
      return `connected ${r.name}`;
    case "mode":
      return `mode ${r.width}x${r.height}`;
    case "frames":
      return `frames ${r.count}`;
    case "input":
      return `input ${r.device}`;
    case "problem":
      return `problem ${r.sentence.replace(/\n/g, " ")}`;
  }
}

/** A line of the bridge's output as a report; undefined for anything else (it goes to the log). */
export function parseReport(line: string): BridgeReport | undefined {
  const m = /^(connected|mode|frames|input|problem) (.*)$/.exec(line);
  if (!m) return undefined;
  const rest = m[2]!;
  switch (m[1]) {
    case "connected":
      return { kind: "connected", name: rest };
    case "mode": {
      const size = /^(\d+)x(\d+)$/.exec(rest);
      return size ? { kind: "mode", width: Number(size[1]), height: Number(size[2]) } : undefined;
    }
    case "frames":
      return /^\d+$/.test(rest) ? { kind: "frames", count: Number(rest) } : undefined;
    case "input":
      return { kind: "input", device: rest };
    default:
      return { kind: "problem", sentence: rest };
  }
}

/** The bridge as health shows it: what it draws, how many frames, its last problem. */
export interface DisplayView {
  mode: string;
  frames: number;
  error: string;
}

export const initialDisplayView = (): DisplayView => ({ mode: "", frames: 0, error: "" });

/** The view after one report; a new session (connected) starts again: no frames, no problem yet. */
export function afterReport(v: DisplayView, r: BridgeReport): DisplayView {
  switch (r.kind) {
    case "connected":
      return { ...v, frames: 0, error: "" };
    case "mode":
      return { ...v, mode: `${r.width}x${r.height}` };
    case "frames":
      return { ...v, frames: r.count };
    case "problem":
      return { ...v, error: r.sentence };
    case "input":
      return v;
  }
}
