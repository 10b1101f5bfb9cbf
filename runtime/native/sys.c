// The `sys` native module: the export lists of the sys_*.c files under one module name.
#include "sys.h"

static const SysExports *const parts[] = {
    &sys_kernel_exports, &sys_file_exports, &sys_proc_exports, &sys_fd_exports, &sys_tty_exports, &sys_fb_exports, &sys_net_exports, &sys_const_exports,
};

#define NPARTS (sizeof(parts) / sizeof(parts[0]))

static int sys_init(JSContext *ctx, JSModuleDef *m)
{
    for (size_t i = 0; i < NPARTS; i++) {
        if (JS_SetModuleExportList(ctx, m, parts[i]->entries, parts[i]->count) < 0)
            return -1;
    }
    return 0;
}

JSModuleDef *js_init_module_sys(JSContext *ctx, const char *module_name)
{
    JSModuleDef *m = JS_NewCModule(ctx, module_name, sys_init);
    for (size_t i = 0; m && i < NPARTS; i++) {
        if (JS_AddModuleExportList(ctx, m, parts[i]->entries, parts[i]->count) < 0)
            return NULL;
    }
    return m;
}
