// Turning a request's path into the node it names (core.c canonicalize, is_valid_nodename): a
// relative path is under the connection's domain path (/local/domain/0 for dom0's socket).
import { ABS_PATH_MAX } from "../../runtime/xenstore/path.ts";
import { XsError } from "./errors.ts";

export const domainPath = (domid: number): string => `/local/domain/${domid}`;

export function canonical(domid: number, raw: string): string {
  return raw.startsWith("/") || raw.startsWith("@") ? raw : `${domainPath(domid)}/${raw}`;
}

const VALID_CHARS = /^[A-Za-z0-9\-/_@]*$/;
const LOCAL_DOMAIN = /^\/local\/domain\/\d{1,5}\//;

/**
 * is_valid_nodename, for a canonical path: absolute, no trailing or doubled slash, the C daemon's
 * characters, at most `pathMax` characters after `/local/domain/<id>/` (0: no such limit) and
 * at most XENSTORE_ABS_PATH_MAX in all. EINVAL otherwise.
 */
export function checkNodePath(path: string, pathMax: number): void {
  const bad = (why: string): never => {
    throw new XsError("EINVAL", `path ${JSON.stringify(path.slice(0, 80))} ${why}`);
  };
  if (!path.startsWith("/")) bad("is not absolute");
  if (path.length > 1 && path.endsWith("/")) bad("ends with /");
  if (path.includes("//")) bad("has an empty segment");
  const localOff = LOCAL_DOMAIN.exec(path)?.[0].length ?? 0;
  if (pathMax > 0 && path.length - localOff > pathMax) bad(`is over the path-max limit ${pathMax}`);
  if (path.length > ABS_PATH_MAX) bad(`is over ${ABS_PATH_MAX} characters`);
  if (!VALID_CHARS.test(path)) bad("has a character outside A-Z a-z 0-9 - / _ @");
}
