// Linux errno numbers and strerror texts (musl's wording), for the engine world's failures.

const TABLE: [name: string, errno: number, text: string][] = [
  ["EPERM", 1, "Operation not permitted"],
  ["ENOENT", 2, "No such file or directory"],
  ["ESRCH", 3, "No such process"],
  ["EINTR", 4, "Interrupted system call"],
  ["EIO", 5, "I/O error"],
  ["ENXIO", 6, "No such device or address"],
  ["EBADF", 9, "Bad file descriptor"],
  ["ECHILD", 10, "No child process"],
  ["EAGAIN", 11, "Resource temporarily unavailable"],
  ["ENOMEM", 12, "Out of memory"],
  ["EACCES", 13, "Permission denied"],
  ["EBUSY", 16, "Resource busy"],
  ["EEXIST", 17, "File exists"],
  ["ENOTDIR", 20, "Not a directory"],
  ["EISDIR", 21, "Is a directory"],
  ["EINVAL", 22, "Invalid argument"],
  ["ENOSPC", 28, "No space left on device"],
  ["EPIPE", 32, "Broken pipe"],
  ["ENOSYS", 38, "Function not implemented"],
  ["ENOTEMPTY", 39, "Directory not empty"],
  ["ENOTSOCK", 88, "Not a socket"],
  ["EADDRINUSE", 98, "Address in use"],
  ["ENOTCONN", 107, "Socket not connected"],
  ["ECONNREFUSED", 111, "Connection refused"],
];

const byName = new Map(TABLE.map(([n, e, t]) => [n, { errno: e, text: t }]));
const byNumber = new Map(TABLE.map(([n, e, t]) => [e, { name: n, text: t }]));

export const errnoOf = (name: string): number => byName.get(name)?.errno ?? 5;
export const errnoName = (n: number): string | null => byNumber.get(Math.abs(n))?.name ?? null;
export const strerror = (n: number): string => byNumber.get(Math.abs(n))?.text ?? `Unknown error ${n}`;
