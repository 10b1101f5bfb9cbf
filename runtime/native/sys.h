// Shared declarations of the `sys` native module: each sys_*.c file contributes one export list.
#ifndef STUBJS_SYS_H
#define STUBJS_SYS_H

#include <stddef.h>
#include "quickjs.h"

typedef struct {
    const JSCFunctionListEntry *entries;
    size_t count;
} SysExports;

#define SYS_EXPORTS(name, list) const SysExports name = { list, sizeof(list) / sizeof(list[0]) }

extern const SysExports sys_kernel_exports; /* sys_kernel.c: mount, reboot, modules, hostname, clock */
extern const SysExports sys_file_exports;   /* sys_file.c: chmod, chown, symlink, mknod */
extern const SysExports sys_proc_exports;   /* sys_proc.c: spawn, waitpid, kill, setsid, getpid */
extern const SysExports sys_fd_exports;     /* sys_fd.c: pty, fcntl, unix sockets */
extern const SysExports sys_tty_exports;    /* sys_tty.c: raw consoles, output queue, truncate */
extern const SysExports sys_fb_exports;     /* sys_fb.c: framebuffer writes and mode */
extern const SysExports sys_net_exports;    /* sys_net.c: interface flags, MAC, IPv4 flush, bridges */
extern const SysExports sys_const_exports;  /* sys_const.c: flag/signal constants, errnoName */

JSModuleDef *js_init_module_sys(JSContext *ctx, const char *module_name);

const char *sys_errno_name(int err);

/* Throws an Error "call(arg, ...): [detail: ]strerror" with .code (errno name) and .errno;
   the arguments are shown as JSON. Returns JS_EXCEPTION. */
JSValue sys_throw(JSContext *ctx, int err, const char *call, int argc, JSValueConst *argv,
                  const char *detail);

/* Throw with the current errno and every argument of the JS call. */
#define SYS_THROW_ERRNO(call) sys_throw(ctx, errno, call, argc, argv, NULL)

/* NULL for null/undefined (optional string arguments), else JS_ToCString; *failed on exception. */
const char *sys_opt_cstring(JSContext *ctx, JSValueConst v, int *failed);

#endif
