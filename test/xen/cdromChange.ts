// The Linux guest's CD drive: `xl cd-insert` swaps the disc and `xl cd-eject` empties the drive while
// the guest runs, and the guest reads sector 16 of what its drive holds. Each disc is a 1 MiB file in
// dom0 with a marker of its own at that sector. libxl 4.20 does this for a Linux stubdom by asking it
// for an fdset (init/cdromMedia.ts); libxl 4.17 refuses it for any stub domain.
import { seconds } from "./checks.ts";
import type { Dom0 } from "./dom0.ts";
import { q, sinceT0 } from "./dom0.ts";

type Check = (what: string, ok: boolean, detail: string) => boolean;
type GuestShell = (cmd: string, secs: number) => ReturnType<Dom0["values"]>;

const disc = (g: string, n: 1 | 2): string => `/var/tmp/${g}-cd${n}.iso`;
const marker = (g: string, n: 1 | 2): string => `STUBDOMCD${n}-${g}`;
/** libxl 4.17's answer to cd-insert on a guest with a stub domain (libxl_disk.c). */
const REFUSED_417 = "cdrom-insert doesn't work for stub domains";

/**
 * The drive's line in the guest's `disk = [...]`, holding the first disc. `backendtype=phy` from
 * libxl 4.20 on (4.17 allows only qdisk for an HVM guest's CD drive): libxl keeps a drive's backend
 * type across changes, and an empty drive on qdisk (the dom0 QEMU's, xl's default for a file) is
 * never served, so libxl cannot remove it at the next cd-insert.
 */
export const cdromDrive = (g: string, release: string): string =>
  `"format=raw,vdev=hdc,access=ro,devtype=cdrom,${release === "4.17" ? "" : "backendtype=phy,"}target=${disc(g, 1)}"`;

/** dom0 commands that make both discs. */
export const stageDiscs = (g: string): string =>
  ([1, 2] as const).map((n) => `truncate -s 1M ${disc(g, n)} && printf '%s' ${marker(g, n)} | dd of=${disc(g, n)} bs=2048 seek=16 conv=notrunc 2>/dev/null`).join(" && ");

export const removeDiscs = (g: string): string => `rm -f ${disc(g, 1)} ${disc(g, 2)}`;

/**
 * What the guest reads at sector 16, tried each second until it is `want` ("" for an empty drive)
 * or `secs` pass: the first read after a change may fail while Linux sees the medium change.
 */
const readUntil = (want: string, secs: number): string =>
  `i=0; while :; do got=$(dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null | head -c 40 | tr -dc 'A-Za-z0-9-'); [ "$got" = "${want}" ] && break; i=$((i + 1)); [ $i -ge ${secs} ] && break; sleep 1; done; echo cd=$got`;

/** `xl <args>` on the guest's CD drive, timed, with the end of what xl said. */
const xlCd = (dom0: Dom0, g: string, args: string): ReturnType<Dom0["values"]> =>
  dom0.values(`t0=$(date +%s%N); timeout 60 xl ${args} > /tmp/${g}-cd.log 2>&1; echo rc=$?; echo ms=${sinceT0}; tail -2 /tmp/${g}-cd.log | tr '\\n' ' ' | sed 's/^/said=/'`, 90);

/** One change of the drive through xl, then what the guest reads: `want` ("" for no disc). */
async function change(dom0: Dom0, check: Check, sh: GuestShell, g: string, args: string, want: string, what: string): Promise<void> {
  const xl = await xlCd(dom0, g, args);
  const read = xl.values.rc === "0" ? await sh(readUntil(want, 30), 50) : undefined;
  const got = read?.values.cd;
  const command = `xl ${args.split(" ")[0]}`;
  check(what, read !== undefined && got === want,
    xl.values.rc === "0" ? `${command} ${seconds(Number(xl.values.ms))}; the guest read ${got ? q(got) : "nothing"}` : `${command} rc ${xl.values.rc}: ${xl.values.said ?? ""}`);
}

export async function cdromChecks(dom0: Dom0, check: Check, sh: GuestShell, g: string, dm: "stubdom" | "dom0", release: string): Promise<void> {
  const first = await sh(readUntil(marker(g, 1), 20), 40);
  check("its CD drive holds the disc it booted with (sector 16 read in the guest)", first.values.cd === marker(g, 1), `read "${first.values.cd ?? ""}"`);
  if (dm === "stubdom" && release === "4.17") {
    const insert = await xlCd(dom0, g, `cd-insert ${g} hdc ${disc(g, 2)}`);
    check("xl cd-insert is refused: libxl 4.17 has no CD change for stub domains", insert.values.rc !== "0" && (insert.values.said ?? "").includes(REFUSED_417), `rc ${insert.values.rc}: ${insert.values.said ?? ""}`);
    return;
  }
  await change(dom0, check, sh, g, `cd-insert ${g} hdc ${disc(g, 2)}`, marker(g, 2), "xl cd-insert swaps the disc while it runs: the guest reads the new one");
  await change(dom0, check, sh, g, `cd-eject ${g} hdc`, "", "xl cd-eject empties the drive: the guest reads no disc");
  await change(dom0, check, sh, g, `cd-insert ${g} hdc ${disc(g, 1)}`, marker(g, 1), "xl cd-insert into the emptied drive: the guest reads that disc");
}
