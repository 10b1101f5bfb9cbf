// The Debian package's stubdomctl (host/package/ bundles this file for Debian's node): the same
// dispatcher as a checkout's, packaged, so only the commands a Xen host uses are there.
import { runCli } from "../cli/stubdomctl.ts";

void runCli(process.argv.slice(2), true);
