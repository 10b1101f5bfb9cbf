// The guest's screen and keyboard with xl's default display (vnc=1, cirrus VGA): what a person at
// a VNC viewer in dom0 would see and type. The dom0 QEMU that serves VNC is asked through its
// second QMP socket (qmp-libxenstat-<domid>, which libxl leaves idle): `screendump` for a picture
// of what VNC shows, `send-key` for a key typed there. The control runs first, with the device model
// in dom0 (that QEMU draws the guest's VGA itself); with our stubdom the dom0 QEMU shows the vfb,
// and its pictures must equal the control's byte for byte.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { healthDir } from "../../init/healthPaths.ts";
import type { Checks } from "./checks.ts";
import { seconds } from "./checks.ts";
import { parseXenstoreLs, q, sinceT0, type Dom0 } from "./dom0.ts";
import { cleanUp, diagnose, saveLogs, type StagedFiles } from "./guestRun.ts";
import { barColours, parsePpm, type Picture } from "./ppm.ts";
import { A_SCANCODE, FRAME_MARK, GRAPHICS_HEIGHT, GRAPHICS_SCANCODE, GRAPHICS_WIDTH, REDRAW_SCANCODE, SAID_GRAPHICS, SAID_TEXT, saidKey } from "./screenGuest.ts";
import { stubdomLines } from "./xlConfig.ts";

export interface ScreenFigures {
  dm: "stubdom" | "dom0";
  /** From the guest's "screen: text" until dom0's picture showed it. */
  textShownMs?: number;
  keyMs?: number;
  graphicsShownMs?: number;
  frames?: number;
  stubdomMiB?: number;
  memAvailableKb?: number;
  redraw?: RedrawFigures;
}

/** The guest redrawing its whole screen for REDRAW_WINDOW_S: rates, and the CPU each part took. */
export interface RedrawFigures {
  /** Whole screens the guest drew per second (each write to VGA memory is an exit to the device model). */
  guestFps: number;
  /** Updates the bridge copied into the vfb per second (stubdom only). */
  bridgeFps?: number;
  /** CPU of the stubdom domain, of the dom0 QEMU that serves the guest (control) or the vfb (stubdom), in % of one CPU. */
  stubdomCpu?: number;
  dom0QemuCpu: number;
  /** Health mem-available-kb at the end of the window (stubdom only). */
  memAvailableKb?: number;
}

const REDRAW_WINDOW_S = 20;

/** The control's pictures in dom0, which the stubdom's must equal. */
export interface ScreenReference {
  text: string;
  graphics: string;
}

const PICTURE_WAIT_S = 60;
const GRAPHICS_DRAW_S = 120;

/**
 * The guest's xl.cfg: no vnc, vga or sdl line, so xl's defaults apply. On Xen 4.20 (Debian 13's dom0
 * QEMU 10), the dom0 QEMU serves a stubdom's vfb only with `-vga xenfb` (README).
 */
function screenConfig(g: string, dm: "stubdom" | "dom0", files: StagedFiles, release: string): string {
  return [
    `name = "${g}"`,
    `type = "hvm"`,
    `memory = 64`,
    `vcpus = 1`,
    `disk = [ "format=raw,vdev=hda,access=rw,backendtype=qdisk,target=/tmp/${g}.img" ]`,
    `serial = "file:/tmp/${g}-serial.log"`,
    `boot = "c"`,
    `on_poweroff = "destroy"`,
    `on_crash = "destroy"`,
    ...(dm === "dom0"
      ? [`device_model_version = "qemu-xen"`]
      : [...stubdomLines({ stubdomKernel: files.kernel, stubdomRootfs: files.rootfs, stubdomCmdline: files.cmdline }), ...(release === "4.17" ? [] : [`device_model_args_pv = [ "-vga", "xenfb" ]`])]),
    "",
  ].join("\n");
}

/**
 * The redraw benchmark: 'r' sets the guest redrawing its whole screen in mode 13h for good; over
 * REDRAW_WINDOW_S (the window is the measurement) dom0 counts the guest's frames on its serial
 * port, the bridge's frames in health, and the CPU time of the stubdom domain (xl list) and of the
 * dom0 QEMU that serves the guest's screen (the device model itself in the control; the vfb's in
 * the stubdom case).
 */
async function redrawBench(dom0: Dom0, check: (what: string, ok: boolean, detail: string) => boolean, g: string, dm: "stubdom" | "dom0", domid: string, qmp: string, serial: string): Promise<RedrawFigures | undefined> {
  const health = healthDir(Number(domid));
  const marks = `$(sed -n '/^${saidKey(REDRAW_SCANCODE)}/,$p' ${serial} | tr -cd ${FRAME_MARK} | wc -c)`;
  const dom0QemuTicks = `$(awk '{ print $14 + $15 }' /proc/$(pgrep -f -- '-xen-domid ${domid} ' | head -1)/stat)`;
  const stubdomSeconds = dm === "stubdom" ? `$(xl list ${g}-dm | awk 'NR == 2 { print $6 }')` : "0";
  const frames = dm === "stubdom" ? `$(xenstore-read ${health}/display/frames)` : "0";
  const sample = (n: number): string => `f${n}=${marks}; q${n}=${dom0QemuTicks}; s${n}=${stubdomSeconds}; b${n}=${frames}; t${n}=$(date +%s%N)`;
  const r = await dom0.values(
    [
      qmp,
      `qmp '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"r"}]}}' > /dev/null`,
      "end=$((SECONDS + 60))",
      `until [ "${marks}" -gt 0 ] || [ "$SECONDS" -ge "$end" ]; do sleep 0.2; done`,
      sample(0),
      `sleep ${REDRAW_WINDOW_S}`,
      sample(1),
      "echo ms=$(( (t1 - t0) / 1000000 ))",
      "echo guest=$((f1 - f0))",
      "echo bridge=$((b1 - b0))",
      "echo qemu-ticks=$((q1 - q0))",
      'echo stubdom-cpu-s=$(echo "$s1 $s0" | awk \'{ printf "%.1f", $1 - $2 }\')',
      dm === "stubdom" ? `echo avail=$(xenstore-read ${health}/mem-available-kb)` : "true",
    ].join("\n"),
    REDRAW_WINDOW_S + 120,
  );
  const v = r.values;
  const secs = Number(v.ms) / 1000;
  if (!(secs > 0) || v.guest === undefined || Number(v.guest) <= 0) {
    check("the guest redraws its whole screen in a loop (the redraw benchmark)", false, `no frame mark from the guest within 60 s of the 'r' key: ${r.out.trim().split("\n").slice(-2).join(" | ")}`);
    return undefined;
  }
  const CLOCK_TICKS = 100;
  const fig: RedrawFigures = {
    guestFps: Number(v.guest) / secs,
    dom0QemuCpu: (100 * Number(v["qemu-ticks"])) / CLOCK_TICKS / secs,
    ...(dm === "stubdom" ? { bridgeFps: Number(v.bridge) / secs, stubdomCpu: (100 * Number(v["stubdom-cpu-s"])) / secs, memAvailableKb: Number(v.avail) || undefined } : {}),
  };
  const pct = (n: number | undefined): string => (n === undefined ? "-" : `${n.toFixed(0)} %`);
  check(
    "the guest redraws its whole screen in a loop (the redraw benchmark)",
    true,
    `${fig.guestFps.toFixed(2)} frames/s from the guest${fig.bridgeFps !== undefined ? `, ${fig.bridgeFps.toFixed(2)} updates/s into the vfb` : ""} over ${secs.toFixed(1)} s; CPU: ${dm === "stubdom" ? `stubdom ${pct(fig.stubdomCpu)}, dom0 QEMU serving the vfb` : "the device model in dom0"} ${pct(fig.dom0QemuCpu)}`,
  );
  return fig;
}

/** A dom0 shell function: one QMP command on the dom0 QEMU's idle monitor. */
const qmpFn = (sock: string): string =>
  `qmp() { printf '{"execute":"qmp_capabilities"}\\n%s\\n' "$1" | timeout 10 socat -t 3 - UNIX-CONNECT:${sock}; }`;

export async function runScreenGuest(dom0: Dom0, checks: Checks, dm: "stubdom" | "dom0", files: StagedFiles, screenDisk: string, saveDir: string, release: string, reference?: ScreenReference): Promise<{ fig: ScreenFigures; reference?: ScreenReference }> {
  const g = dm === "stubdom" ? "screen" : "screen-dom0";
  const label = `screen and keyboard (${dm === "stubdom" ? "our stubdom" : "device model in dom0"})`;
  const check = (what: string, ok: boolean, detail: string): boolean => checks.record(`${label}: ${what}`, ok, detail);
  const fig: ScreenFigures = { dm };
  const dir = join(saveDir, g);
  mkdirSync(dir, { recursive: true });
  const serial = `/tmp/${g}-serial.log`;

  const created = await dom0.values(
    [
      `cp ${q(screenDisk)} /tmp/${g}.img && printf '%s' ${q(screenConfig(g, dm, files, release))} > /tmp/${g}.cfg || exit 1`,
      `rm -f ${serial}`,
      "t0=$(date +%s%N)",
      `timeout 120 xl create /tmp/${g}.cfg > /tmp/${g}-create.log 2>&1; rc=$?`,
      "echo create-rc=$rc",
      '[ "$rc" = 0 ] || exit 0',
      "end=$((SECONDS + 90))",
      `until grep -qF ${q(SAID_TEXT)} ${serial} 2>/dev/null || [ "$SECONDS" -ge "$end" ]; do sleep 0.1; done`,
      `grep -qF ${q(SAID_TEXT)} ${serial} 2>/dev/null && echo text-ms=${sinceT0}`,
      `echo domid=$(xl domid ${dm === "stubdom" ? `${g}-dm` : g} 2>/dev/null)`,
      `echo stubdom-mib=$(xl list ${g}-dm 2>/dev/null | awk 'NR == 2 { print $3 }')`,
    ].join("\n"),
    240,
  );
  const v = created.values;
  const domid = v.domid ?? "";
  if (v["create-rc"] !== "0" || v["text-ms"] === undefined || !/^\d+$/.test(domid)) {
    const why = v["create-rc"] !== "0" ? `xl create exit ${v["create-rc"] ?? "?"}: ${diagnose((await dom0.sh(`cat /tmp/${g}-create.log /var/log/xen/qemu-dm-${g}.log 2>/dev/null`, 30)).out)}` : `no "${SAID_TEXT}" on the guest's serial within 90 s`;
    check("xl create with xl's default display (vnc=1, cirrus VGA) and the guest's text screen", false, why);
    await saveLogs(dom0, g, saveDir);
    await cleanUp(dom0, check, g);
    return { fig };
  }
  check("xl create with xl's default display (vnc=1, cirrus VGA) and the guest's text screen", true, `the guest wrote its text ${seconds(Number(v["text-ms"]))} after xl create began`);
  fig.stubdomMiB = Number(v["stubdom-mib"]) || undefined;
  const sock = `/var/run/xen/qmp-libxenstat-${domid}`;
  const qmp = qmpFn(sock);

  /**
   * A picture of what dom0's VNC shows, into `path`: taken again each second until it equals `want`
   * (the control's), or once when there is none to equal. Returns it, parsed, and how long it took.
   */
  const picture = async (name: string, want: string | undefined): Promise<{ path: string; pic?: Picture; ms?: number; same: boolean }> => {
    const path = `/tmp/${g}-${name}.ppm`;
    const r = await dom0.values(
      [
        qmp,
        "t0=$(date +%s%N)",
        `end=$((SECONDS + ${PICTURE_WAIT_S}))`,
        "while :; do",
        `  rm -f ${path}; qmp '{"execute":"screendump","arguments":{"filename":"${path}"}}' > /dev/null`,
        want ? `  cmp -s ${path} ${want} && break` : `  [ -s ${path} ] && break`,
        '  [ "$SECONDS" -ge "$end" ] && break',
        "  sleep 1",
        "done",
        `echo ms=${sinceT0}`,
        want ? `cmp -s ${path} ${want} && echo same=1` : "echo same=1",
        `[ -s ${path} ] && echo data=$(base64 -w0 ${path})`,
      ].join("\n"),
      PICTURE_WAIT_S + 40,
    );
    const data = r.values.data;
    const pic = data ? parsePpm(Buffer.from(data, "base64")) : undefined;
    if (data) writeFileSync(join(dir, `${name}.ppm`), Buffer.from(data, "base64"));
    return { path, pic, ms: Number(r.values.ms), same: r.values.same === "1" };
  };

  const text = await picture("text", reference?.text);
  const textSize = text.pic ? `${text.pic.width}x${text.pic.height}` : "no picture";
  if (reference) {
    fig.textShownMs = text.same ? text.ms : undefined;
    check("dom0's VNC picture of the text screen equals the control's, pixel for pixel", text.same, text.same ? `${textSize}, shown ${seconds(text.ms)} after the guest wrote it (saved as ${g}/text.ppm)` : `still different after ${PICTURE_WAIT_S} s: ${textSize} (saved as ${g}/text.ppm)`);
  } else {
    const lit = text.pic ? text.pic.distinctColours() : 0;
    check("dom0's VNC picture of the text screen shows 80x25 text (the control)", text.pic?.width === 720 && text.pic.height === 400 && lit >= 3, `${textSize}, ${lit} colours (saved as ${g}/text.ppm)`);
  }

  const sendKey = async (qcode: string, scancode: number): Promise<number | undefined> => {
    const r = await dom0.values(
      [
        qmp,
        "t0=$(date +%s%N)",
        `qmp '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"${qcode}"}]}}' > /dev/null`,
        "end=$((SECONDS + 30))",
        `until grep -qF ${q(saidKey(scancode))} ${serial} || [ "$SECONDS" -ge "$end" ]; do sleep 0.1; done`,
        `grep -qF ${q(saidKey(scancode))} ${serial} && echo ms=${sinceT0}`,
      ].join("\n"),
      60,
    );
    return r.values.ms === undefined ? undefined : Number(r.values.ms);
  };
  fig.keyMs = await sendKey("a", A_SCANCODE);
  const keys = (await dom0.sh(`grep '^key' ${serial} | tr -d '\\r' | tr '\\n' ' '`, 20)).out.trim();
  check(`a key typed in dom0 (QMP send-key 'a' on the VNC server) reaches the guest, which reads scancode ${A_SCANCODE.toString(16)}`, fig.keyMs !== undefined, fig.keyMs !== undefined ? `${seconds(fig.keyMs)}; the guest said "${keys}"` : `not within 30 s; the guest said "${keys}"`);

  const graphicsMs = await sendKey("g", GRAPHICS_SCANCODE);
  // Each write to VGA memory is an exit to the device model: with it in the stubdom, on the bed's one
  // emulated CPU, drawing the bars takes tens of seconds.
  const switched = graphicsMs !== undefined && (await dom0.waitFor(`grep -qF ${q(SAID_GRAPHICS)} ${serial}`, GRAPHICS_DRAW_S)) !== undefined;
  const graphics = switched ? await picture("graphics", reference?.graphics) : undefined;
  const bars = graphics?.pic ? barColours(graphics.pic, 16) : [];
  const barsOk = bars.length === 16 && new Set(bars).size === 16 && bars[0] === "000000";
  const gSize = graphics?.pic ? `${graphics.pic.width}x${graphics.pic.height}` : "no picture";
  if (reference) fig.graphicsShownMs = graphics?.same ? graphics.ms : undefined;
  check(
    `the guest's switch to ${GRAPHICS_WIDTH}x${GRAPHICS_HEIGHT} graphics shows in dom0 with its 16 colour bars${reference ? ", equal to the control's picture" : ""}`,
    switched && barsOk && (reference ? graphics?.same === true : true),
    !switched ? `the guest did not say "${SAID_GRAPHICS}" within ${GRAPHICS_DRAW_S} s of the 'g' key` : `${gSize}${reference ? (graphics?.same ? `, equal, shown ${seconds(graphics.ms)} after the switch` : ", different from the control's") : ""}; bars ${bars.join(" ")} (saved as ${g}/graphics.ppm)`,
  );

  if (dm === "stubdom") {
    const health = healthDir(Number(domid));
    const ls = parseXenstoreLs((await dom0.sh(`xenstore-ls -f ${health}`, 20)).out);
    const k = (name: string): string => ls.get(`${health}/${name}`) ?? "";
    fig.frames = Number(k("display/frames")) || undefined;
    fig.memAvailableKb = Number(k("mem-available-kb")) || undefined;
    const ok = k("display/state") === "up" && k("display/mode") === (graphics?.pic ? gSize : k("display/mode")) && Number(k("display/frames")) > 0 && k("display/error") === "" && k("state") === "running";
    check("health shows the display bridge up, the guest's mode and the frames it copied, and no error", ok, `state ${k("state")}, display/state ${k("display/state")}, mode ${k("display/mode")}, frames ${k("display/frames")}, error "${k("display/error")}"; MemAvailable ${k("mem-available-kb")} kB`);
  }

  if (switched) fig.redraw = await redrawBench(dom0, check, g, dm, domid, qmp, serial);

  await dom0.sh(`timeout 60 xl destroy ${g}`, 80);
  await saveLogs(dom0, g, saveDir);
  await cleanUp(dom0, check, g);
  return { fig, reference: dm === "dom0" && graphics ? { text: text.path, graphics: graphics.path } : undefined };
}
