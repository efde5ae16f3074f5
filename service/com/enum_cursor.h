/* The position of an IEnum* object over a fixed number of items, shared by the enumerators
 * (enum_ids.c, enum_background_copy_files.c): Next/Skip/Reset/GetCount and the
 * position a Clone copies. MTA clients may share one enumerator, so the position is locked. */
#ifndef OPENDO_ENUM_CURSOR_H
#define OPENDO_ENUM_CURSOR_H

#include <windows.h>

typedef struct enum_cursor {
    CRITICAL_SECTION lock;
    ULONG count;
    ULONG position;
} enum_cursor_t;

/* Makes the item at index (an AddRef'd interface pointer) into *item. */
typedef HRESULT (*enum_item_fn)(void *context, ULONG index, void **item);

void enum_cursor_init(enum_cursor_t *cursor, ULONG count);
void enum_cursor_destroy(enum_cursor_t *cursor);
/* IEnum*::Next: up to celt items from the position; S_FALSE when fewer remain. items are
 * interface pointers (released again if making one fails). fetched may be NULL only for celt 1. */
HRESULT enum_cursor_next(enum_cursor_t *cursor, ULONG celt, void **items, ULONG *fetched,
                         enum_item_fn make, void *context);
HRESULT enum_cursor_skip(enum_cursor_t *cursor, ULONG celt);
HRESULT enum_cursor_reset(enum_cursor_t *cursor);
HRESULT enum_cursor_get_count(enum_cursor_t *cursor, ULONG *count);
/* Clone: the new enumerator starts where this one is. */
void enum_cursor_copy_position(enum_cursor_t *from, enum_cursor_t *to);

#endif
