// XenStore path rules (xenstored core.c valid_chars, xs_wire.h limits): characters
// A-Z a-z 0-9 - / _ @, no empty segment, no trailing slash, absolute ≤ 3072, relative ≤ 2048.
// A relative path names a node under the connection's domain path, /local/domain/<domid>.
export const ABS_PATH_MAX = 3072;
export const REL_PATH_MAX = 2048;

const VALID = /^[A-Za-z0-9\-/_@]+$/;

/** Why `path` is not a valid path to watch, or undefined when it is. Special `@...` paths pass. */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return "is empty";
  if (path.startsWith("@")) return path.length > REL_PATH_MAX ? `is ${path.length} characters, over ${REL_PATH_MAX}` : undefined;
  if (!VALID.test(path)) return "has a character outside A-Z a-z 0-9 - / _ @";
  if (path.includes("//")) return "has an empty segment (//)";
  if (path.length > 1 && path.endsWith("/")) return "ends with /";
  const max = path.startsWith("/") ? ABS_PATH_MAX : REL_PATH_MAX;
  if (path.length > max) return `is ${path.length} characters, over ${max}`;
  return undefined;
}

/** Like pathProblem, for a node: `@...` names only watch events (xenstored answers EINVAL). */
export function nodePathProblem(path: string): string | undefined {
  return path.startsWith("@") ? "is a special watch path, not a node" : pathProblem(path);
}

export function joinPath(base: string, child: string): string {
  return base === "/" ? `/${child}` : `${base}/${child}`;
}

export function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

export const leafName = (path: string): string => path.slice(path.lastIndexOf("/") + 1);
