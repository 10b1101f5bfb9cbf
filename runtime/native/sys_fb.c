// The framebuffer the display bridge draws the guest's screen into (xen-fbfront's /dev/fb0):
// writes at an offset, and the visible mode. fbfront passes a mode change to the dom0 backend as
// a resize, so the dom0 VNC viewer shows the guest's mode, not the vfb's largest one.
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "sys.h"

/* musl's toolchain has no kernel headers: the ioctls and struct fb_var_screeninfo as <linux/fb.h>
   defines them, a stable ABI of 40 32-bit fields. */
#define FBIOGET_VSCREENINFO 0x4600
#define FBIOPUT_VSCREENINFO 0x4601
#define FB_ACTIVATE_NOW 0
struct fb_var_screeninfo {
    uint32_t xres, yres, xres_virtual, yres_virtual, xoffset, yoffset, bits_per_pixel, grayscale;
    uint32_t bitfields[12]; /* red, green, blue, transp: offset, length, msb_right */
    uint32_t nonstd, activate, height, width, accel_flags;
    uint32_t timing[11]; /* pixclock, margins, sync lengths, sync, vmode, rotate, colorspace */
    uint32_t reserved[4];
};
_Static_assert(sizeof(struct fb_var_screeninfo) == 160, "struct fb_var_screeninfo is 160 bytes");

/* pwriteAll(fd, buffer, offset): writes all of the ArrayBuffer (or typed array's bytes) at offset. */
static JSValue js_pwrite_all(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd;
    int64_t offset;
    size_t len, byte_offset, elem;
    uint8_t *buf;
    if (JS_ToInt32(ctx, &fd, argv[0]) || JS_ToInt64(ctx, &offset, argv[2]))
        return JS_EXCEPTION;
    JSValue ab = JS_GetTypedArrayBuffer(ctx, argv[1], &byte_offset, &len, &elem);
    if (JS_IsException(ab))
        return JS_EXCEPTION;
    buf = JS_GetArrayBuffer(ctx, &elem, ab);
    JS_FreeValue(ctx, ab);
    if (!buf)
        return JS_EXCEPTION;
    buf += byte_offset;
    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? SYS_THROW_ERRNO("pwriteAll") : sys_throw(ctx, ENOSPC, "pwriteAll", argc, argv, "past the end");
        buf += n;
        len -= (size_t)n;
        offset += n;
    }
    return JS_UNDEFINED;
}

/* fbSetMode(fd, width, height): the visible and virtual resolution, depth unchanged. */
static JSValue js_fb_set_mode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd, w, h;
    struct fb_var_screeninfo v;
    if (JS_ToInt32(ctx, &fd, argv[0]) || JS_ToInt32(ctx, &w, argv[1]) || JS_ToInt32(ctx, &h, argv[2]))
        return JS_EXCEPTION;
    if (ioctl(fd, FBIOGET_VSCREENINFO, &v) < 0)
        return sys_throw(ctx, errno, "fbSetMode", argc, argv, "FBIOGET_VSCREENINFO");
    v.xres = v.xres_virtual = (uint32_t)w;
    v.yres = v.yres_virtual = (uint32_t)h;
    v.xoffset = v.yoffset = 0;
    v.activate = FB_ACTIVATE_NOW;
    if (ioctl(fd, FBIOPUT_VSCREENINFO, &v) < 0)
        return sys_throw(ctx, errno, "fbSetMode", argc, argv, "FBIOPUT_VSCREENINFO");
    return JS_UNDEFINED;
}

static const JSCFunctionListEntry funcs[] = {
    JS_CFUNC_DEF("pwriteAll", 3, js_pwrite_all),
    JS_CFUNC_DEF("fbSetMode", 3, js_fb_set_mode),
};

SYS_EXPORTS(sys_fb_exports, funcs);
