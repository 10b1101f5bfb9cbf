// File metadata calls missing from quickjs-libc's `os` (used to populate /dev and fix ownership).
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "sys.h"

static JSValue js_chmod(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    uint32_t mode;
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_UNDEFINED;
    if (!path || JS_ToUint32(ctx, &mode, argv[1]))
        ret = JS_EXCEPTION;
    else if (chmod(path, mode) < 0)
        ret = SYS_THROW_ERRNO("chmod");
    JS_FreeCString(ctx, path);
    return ret;
}

/* chown(path, uid, gid): -1 leaves that id unchanged. */
static JSValue js_chown(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t uid, gid;
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_UNDEFINED;
    if (!path || JS_ToInt32(ctx, &uid, argv[1]) || JS_ToInt32(ctx, &gid, argv[2]))
        ret = JS_EXCEPTION;
    else if (chown(path, (uid_t)uid, (gid_t)gid) < 0)
        ret = SYS_THROW_ERRNO("chown");
    JS_FreeCString(ctx, path);
    return ret;
}

static JSValue js_symlink(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    const char *target = JS_ToCString(ctx, argv[0]);
    const char *path = target ? JS_ToCString(ctx, argv[1]) : NULL;
    JSValue ret = JS_UNDEFINED;
    if (!path)
        ret = JS_EXCEPTION;
    else if (symlink(target, path) < 0)
        ret = SYS_THROW_ERRNO("symlink");
    JS_FreeCString(ctx, target);
    JS_FreeCString(ctx, path);
    return ret;
}

/* mknod(path, mode, major, minor): mode includes the type bits (os.S_IFCHR | 0o600 ...). */
static JSValue js_mknod(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    uint32_t mode, major, minor;
    const char *path = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_UNDEFINED;
    if (!path || JS_ToUint32(ctx, &mode, argv[1]) || JS_ToUint32(ctx, &major, argv[2]) ||
        JS_ToUint32(ctx, &minor, argv[3]))
        ret = JS_EXCEPTION;
    else if (mknod(path, mode, makedev(major, minor)) < 0)
        ret = SYS_THROW_ERRNO("mknod");
    JS_FreeCString(ctx, path);
    return ret;
}

static const JSCFunctionListEntry funcs[] = {
    JS_CFUNC_DEF("chmod", 2, js_chmod),
    JS_CFUNC_DEF("chown", 3, js_chown),
    JS_CFUNC_DEF("symlink", 2, js_symlink),
    JS_CFUNC_DEF("mknod", 4, js_mknod),
};

SYS_EXPORTS(sys_file_exports, funcs);
