/* The shared position logic of the enumerators (see enum_cursor.h). */
#include "enum_cursor.h"

#include <objbase.h>

void enum_cursor_init(enum_cursor_t *cursor, ULONG count)
{
    InitializeCriticalSection(&cursor->lock);
    cursor->count = count;
    cursor->position = 0;
}

void enum_cursor_destroy(enum_cursor_t *cursor)
{
    DeleteCriticalSection(&cursor->lock);
}

HRESULT enum_cursor_next(enum_cursor_t *cursor, ULONG celt, void **items, ULONG *fetched,
                         enum_item_fn make, void *context)
{
    if (!items || (!fetched && celt != 1))
        return E_INVALIDARG;
    HRESULT hr = S_OK;
    ULONG done = 0;
    EnterCriticalSection(&cursor->lock);
    while (done < celt && cursor->position < cursor->count && SUCCEEDED(hr)) {
        hr = make(context, cursor->position, &items[done]);
        if (SUCCEEDED(hr))
            done++, cursor->position++;
    }
    if (FAILED(hr)) { /* all or nothing: the position goes back too */
        cursor->position -= done;
        while (done) {
            done--;
            IUnknown_Release((IUnknown *)items[done]);
            items[done] = NULL;
        }
    }
    LeaveCriticalSection(&cursor->lock);
    if (fetched)
        *fetched = done;
    return FAILED(hr) ? hr : done == celt ? S_OK : S_FALSE;
}

HRESULT enum_cursor_skip(enum_cursor_t *cursor, ULONG celt)
{
    EnterCriticalSection(&cursor->lock);
    ULONG left = cursor->count - cursor->position;
    ULONG skipped = celt < left ? celt : left;
    cursor->position += skipped;
    LeaveCriticalSection(&cursor->lock);
    return skipped == celt ? S_OK : S_FALSE;
}

HRESULT enum_cursor_reset(enum_cursor_t *cursor)
{
    EnterCriticalSection(&cursor->lock);
    cursor->position = 0;
    LeaveCriticalSection(&cursor->lock);
    return S_OK;
}

HRESULT enum_cursor_get_count(enum_cursor_t *cursor, ULONG *count)
{
    if (!count)
        return E_INVALIDARG;
    *count = cursor->count; /* fixed at creation */
    return S_OK;
}

void enum_cursor_copy_position(enum_cursor_t *from, enum_cursor_t *to)
{
    EnterCriticalSection(&from->lock);
    ULONG position = from->position;
    LeaveCriticalSection(&from->lock);
    EnterCriticalSection(&to->lock);
    to->position = position;
    LeaveCriticalSection(&to->lock);
}
