// The display bridge (display/) as a supervised program: started once QEMU answers QMP, so its VNC
// socket exists, and started again whenever it ends (it ends when QEMU's VNC connection goes, as
// when QEMU restarts). Its stdout carries reports (display/bridgeReport.ts), which become health
// under display/; any other line goes to the log.
import { afterReport, initialDisplayView, parseReport, type DisplayView } from "../display/bridgeReport.ts";
import type { Sys } from "../runtime/sys.ts";
import { ChildOutput } from "./childOutput.ts";
import type { Log } from "./log.ts";
import type { Reaper } from "./reaper.ts";
import { Service } from "./service.ts";
import { defaultPolicy } from "./serviceMachine.ts";

/** The bridge's bundle, run by the runtime that runs the init. */
export const DISPLAY_BUNDLE = "/lib/stubdom/display.jsbc";
export const VNC_SOCKET = "/run/display/vnc.sock";

export class DisplayService {
  readonly service: Service;
  private shown: DisplayView = initialDisplayView();

  constructor(sys: Sys, log: Log, reaper: Reaper, runtime: string, onChange: () => void) {
    const output = new ChildOutput(sys, log, "display", (line) => {
      const r = parseReport(line);
      if (!r) return false;
      if (r.kind === "problem") log.warn(`display: ${r.sentence}`);
      else if (r.kind !== "frames") log.info(`display: ${line}`);
      this.shown = afterReport(this.shown, r);
      onChange();
      return true;
    });
    this.service = new Service(sys, reaper, {
      name: "display",
      policy: { ...defaultPolicy, restart: "always" },
      launch: () => {
        output.newRun();
        return sys.spawn([runtime, DISPLAY_BUNDLE], { fds: [-1, output.writeFd, output.writeFd] });
      },
      lastWords: () => output.lastWords(),
      onChange: (rec, before) => {
        if (before.state === "up" && rec.state !== "up") log.warn(`display: the bridge (pid ${before.pid}) ended with ${rec.lastExit ?? "no status"}${rec.state === "backoff" ? "; starting it again" : ""}`);
        if (rec.state === "failed") log.error(`display: ${rec.error ?? "failed"}`);
        onChange();
      },
    });
  }

  get view(): DisplayView {
    return this.shown;
  }
}
