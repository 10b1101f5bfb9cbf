// Pieces of the stubjs host program besides the `sys` module.
#ifndef STUBJS_HOST_H
#define STUBJS_HOST_H

#include "quickjs.h"

/* Writes "stubjs: <what>: <value>" and, for an Error, its stack, to stderr. */
void report_value(JSContext *ctx, const char *what, JSValueConst value);

/* Logs unhandled promise rejections once the job queue has drained; never exits. */
void track_rejections(JSRuntime *rt);

/* What PID 1 does when JS can no longer run: reap children forever. */
_Noreturn void reap_forever(void);

#endif
