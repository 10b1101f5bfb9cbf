// Unhandled promise rejections are logged, never fatal. QuickJS calls the tracker as soon as a
// promise without handlers rejects, and again if a handler is attached later (`f().catch(...)` where
// f throws before its first await does exactly that), so a report waits until the job queue has run
// dry and only rejections still unhandled by then are logged.
#include <stdlib.h>
#include "host.h"

typedef struct Rejection {
    struct Rejection *next;
    JSValue promise, reason;
} Rejection;

/* One runtime per process: the tracker's state can be global. */
static Rejection *pending;
static int check_queued;

static JSValue check_rejections(JSContext *ctx, int argc, JSValueConst *argv)
{
    if (JS_IsJobPending(JS_GetRuntime(ctx))) { /* jobs queued behind us may still attach handlers */
        JS_EnqueueJob(ctx, check_rejections, 0, NULL);
        return JS_UNDEFINED;
    }
    check_queued = 0;
    while (pending) {
        Rejection *r = pending;
        pending = r->next;
        report_value(ctx, "unhandled promise rejection", r->reason);
        JS_FreeValue(ctx, r->promise);
        JS_FreeValue(ctx, r->reason);
        free(r);
    }
    return JS_UNDEFINED;
}

static void tracker(JSContext *ctx, JSValueConst promise, JSValueConst reason, JS_BOOL is_handled,
                    void *opaque)
{
    if (is_handled) {
        for (Rejection **p = &pending; *p; p = &(*p)->next) {
            if (JS_VALUE_GET_PTR((*p)->promise) == JS_VALUE_GET_PTR(promise)) {
                Rejection *r = *p;
                *p = r->next;
                JS_FreeValue(ctx, r->promise);
                JS_FreeValue(ctx, r->reason);
                free(r);
                return;
            }
        }
        return;
    }
    Rejection *r = malloc(sizeof(*r));
    if (!r) {
        report_value(ctx, "unhandled promise rejection (out of memory to defer)", reason);
        return;
    }
    *r = (Rejection){ pending, JS_DupValue(ctx, promise), JS_DupValue(ctx, reason) };
    pending = r;
    if (!check_queued && JS_EnqueueJob(ctx, check_rejections, 0, NULL) == 0)
        check_queued = 1;
}

void track_rejections(JSRuntime *rt)
{
    JS_SetHostPromiseRejectionTracker(rt, tracker, NULL);
}
