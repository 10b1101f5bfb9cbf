// Applies network steps (network.ts) through Sys; the first that fails ends the lot with a sentence
// naming the command it stands for.
import type { Sys } from "../runtime/sys.ts";
import { commandOf, type NetStep } from "./network.ts";

export class NetStepError extends Error {}

function apply(sys: Sys, s: NetStep): void {
  switch (s.op) {
    case "link":
      return sys.linkUp(s.dev, s.up);
    case "mac":
      return sys.linkSetMac(s.dev, s.mac);
    case "flush":
      return sys.linkClearIpv4(s.dev);
    case "addbr":
      return sys.bridgeCreate(s.bridge);
    case "addif":
      return sys.bridgeAddPort(s.bridge, s.dev);
    case "write":
      return sys.writeText(s.path, s.value);
  }
}

export function applyNetSteps(sys: Sys, steps: readonly NetStep[]): void {
  for (const s of steps) {
    try {
      apply(sys, s);
    } catch (e) {
      throw new NetStepError(`\`${commandOf(s)}\`: ${(e as Error).message}`);
    }
  }
}
