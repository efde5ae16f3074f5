/* The transfer engine's temporary file: one handle per transfer, positioned once per response,
 * then plain sequential writes (the pattern that is fast under Wine), gathered in a buffer of
 * TFILE_BUFFER_SIZE: curl hands its write callback at most 16 KiB at a time, and under Wine each
 * WriteFile has a fixed cost (measured: 65,536 writes of 16 KiB took ~0.85 s per GiB). Every
 * other operation writes the buffer out first, so a sync covers every byte written before it.
 * POSIX natively; CreateFileW / WriteFile / FlushFileBuffers on Windows. Errors become HRESULTs
 * plus a readable detail. */
#include "transfer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32

#include <windows.h>
#include <winioctl.h>

static hr_t win_error(const char *what, char *detail, size_t size)
{
    DWORD err = GetLastError();
    char msg[256] = "";
    FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err, 0, msg,
                   sizeof msg, NULL);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    snprintf(detail, size, "%s: Windows error %lu (%s)", what, (unsigned long)err, msg);
    if (err == ERROR_HANDLE_DISK_FULL)
        err = ERROR_DISK_FULL;
    return err ? (hr_t)(0x80070000u | (err & 0xFFFFu)) : TRANSFER_E_WRITE_FAULT;
}

static wchar_t *utf8_to_wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0)
        return NULL;
    wchar_t *w = HeapAlloc(GetProcessHeap(), 0, (size_t)n * sizeof *w);
    if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
        HeapFree(GetProcessHeap(), 0, w);
        w = NULL;
    }
    return w;
}

static hr_t os_open(tfile_t *f, const char *path, int hidden, char *detail, size_t size)
{
    wchar_t *wpath = utf8_to_wide(path);
    if (!wpath) {
        snprintf(detail, size, "opening the temporary file: the path is not valid UTF-8");
        return HR_E_INVALIDARG;
    }
    HANDLE h = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS,
                           hidden ? FILE_ATTRIBUTE_HIDDEN : FILE_ATTRIBUTE_NORMAL, NULL);
    HeapFree(GetProcessHeap(), 0, wpath);
    if (h == INVALID_HANDLE_VALUE)
        return win_error("opening the temporary file", detail, size);
    f->handle = h;
    f->open = 1;
    return HR_OK;
}

static hr_t os_seek(tfile_t *f, uint64_t offset, char *detail, size_t size)
{
    LARGE_INTEGER li;
    li.QuadPart = (LONGLONG)offset;
    if (!SetFilePointerEx(f->handle, li, NULL, FILE_BEGIN))
        return win_error("positioning in the temporary file", detail, size);
    return HR_OK;
}

static hr_t os_write(tfile_t *f, const void *buf, size_t len, char *detail, size_t size)
{
    const char *p = buf;
    while (len) {
        DWORD chunk = len > 0x40000000u ? 0x40000000u : (DWORD)len, done = 0;
        if (!WriteFile(f->handle, p, chunk, &done, NULL))
            return win_error("writing the temporary file", detail, size);
        if (done == 0) {
            snprintf(detail, size, "writing the temporary file: nothing written");
            return TRANSFER_E_WRITE_FAULT;
        }
        p += done;
        len -= done;
    }
    return HR_OK;
}

static hr_t os_sync(tfile_t *f, char *detail, size_t size)
{
    if (!FlushFileBuffers(f->handle))
        return win_error("flushing the temporary file", detail, size);
    return HR_OK;
}

static hr_t os_truncate(tfile_t *f, uint64_t length, char *detail, size_t size)
{
    hr_t hr = os_seek(f, length, detail, size);
    if (HR_FAILED(hr))
        return hr;
    if (!SetEndOfFile(f->handle))
        return win_error("truncating the temporary file", detail, size);
    return HR_OK;
}

static hr_t os_size(tfile_t *f, uint64_t *length, char *detail, size_t size)
{
    LARGE_INTEGER li;
    if (!GetFileSizeEx(f->handle, &li))
        return win_error("reading the temporary file's size", detail, size);
    *length = (uint64_t)li.QuadPart;
    return HR_OK;
}

static void os_close(tfile_t *f)
{
    if (f->open)
        CloseHandle(f->handle);
    f->open = 0;
}

hr_t tfile_duplicate(tfile_t *f, tfile_t *copy, char *detail, size_t size)
{
    HANDLE h;
    if (!DuplicateHandle(GetCurrentProcess(), f->handle, GetCurrentProcess(), &h, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return win_error("duplicating the temporary file's handle", detail, size);
    memset(copy, 0, sizeof *copy);
    copy->handle = h;
    copy->open = 1;
    return HR_OK;
}

hr_t tfile_open_read(tfile_t *f, const char *path, char *detail, size_t size)
{
    wchar_t *wpath = utf8_to_wide(path);
    if (!wpath) {
        snprintf(detail, size, "opening the source file: the path is not valid UTF-8");
        return HR_E_INVALIDARG;
    }
    HANDLE h = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    HeapFree(GetProcessHeap(), 0, wpath);
    if (h == INVALID_HANDLE_VALUE)
        return win_error("opening the source file", detail, size);
    f->handle = h;
    f->open = 1;
    return HR_OK;
}

hr_t tfile_read(tfile_t *f, void *buf, size_t len, size_t *got, char *detail, size_t size)
{
    DWORD done = 0;
    if (!ReadFile(f->handle, buf, len > 0x40000000u ? 0x40000000u : (DWORD)len, &done, NULL))
        return win_error("reading the source file", detail, size);
    *got = done;
    return HR_OK;
}

#else /* POSIX */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static hr_t posix_error(const char *what, char *detail, size_t size)
{
    int err = errno;
    snprintf(detail, size, "%s: %s", what, strerror(err));
    switch (err) {
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return TRANSFER_E_DISK_FULL;
    case EACCES: case EPERM: case EROFS: case EISDIR:
        return HR_E_ACCESSDENIED;
    case ENOENT: case ENOTDIR:
        return TRANSFER_E_PATH_NOT_FOUND;
    case EMFILE: case ENFILE:
        return TRANSFER_E_TOO_MANY_OPEN_FILES;
    case ENAMETOOLONG:
        return (hr_t)0x800700CE; /* ERROR_FILENAME_EXCED_RANGE */
    default:
        return TRANSFER_E_WRITE_FAULT;
    }
}

static hr_t os_open(tfile_t *f, const char *path, int hidden, char *detail, size_t size)
{
    (void)hidden; /* a dot-name is the caller's choice natively */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return posix_error("opening the temporary file", detail, size);
    f->fd = fd;
    f->open = 1;
    return HR_OK;
}

static hr_t os_seek(tfile_t *f, uint64_t offset, char *detail, size_t size)
{
    if (lseek(f->fd, (off_t)offset, SEEK_SET) < 0)
        return posix_error("positioning in the temporary file", detail, size);
    return HR_OK;
}

static hr_t os_write(tfile_t *f, const void *buf, size_t len, char *detail, size_t size)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return posix_error("writing the temporary file", detail, size);
        }
        if (n == 0) {
            errno = EIO;
            return posix_error("writing the temporary file", detail, size);
        }
        p += n;
        len -= (size_t)n;
    }
    return HR_OK;
}

static hr_t os_sync(tfile_t *f, char *detail, size_t size)
{
    if (fsync(f->fd) != 0)
        return posix_error("flushing the temporary file (fsync)", detail, size);
    return HR_OK;
}

static hr_t os_truncate(tfile_t *f, uint64_t length, char *detail, size_t size)
{
    if (ftruncate(f->fd, (off_t)length) != 0)
        return posix_error("truncating the temporary file", detail, size);
    return HR_OK;
}

static hr_t os_size(tfile_t *f, uint64_t *length, char *detail, size_t size)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0)
        return posix_error("reading the temporary file's size", detail, size);
    *length = (uint64_t)st.st_size;
    return HR_OK;
}

static void os_close(tfile_t *f)
{
    if (f->open)
        close(f->fd);
    f->open = 0;
}

hr_t tfile_duplicate(tfile_t *f, tfile_t *copy, char *detail, size_t size)
{
    int fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return posix_error("duplicating the temporary file's descriptor", detail, size);
    memset(copy, 0, sizeof *copy);
    copy->fd = fd;
    copy->open = 1;
    return HR_OK;
}

hr_t tfile_open_read(tfile_t *f, const char *path, char *detail, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        hr_t hr = posix_error("opening the source file", detail, size);
        return err == ENOENT ? TRANSFER_E_FILE_NOT_FOUND : hr;
    }
    f->fd = fd;
    f->open = 1;
    return HR_OK;
}

hr_t tfile_read(tfile_t *f, void *buf, size_t len, size_t *got, char *detail, size_t size)
{
    for (;;) {
        ssize_t n = read(f->fd, buf, len);
        if (n >= 0) {
            *got = (size_t)n;
            return HR_OK;
        }
        if (errno != EINTR)
            return posix_error("reading the source file", detail, size);
    }
}

#endif

/* ---- the write buffer (both platforms) -------------------------------------------------------- */

hr_t tfile_open(tfile_t *f, const char *path, int hidden, char *detail, size_t size)
{
    hr_t hr = os_open(f, path, hidden, detail, size);
    if (HR_SUCCEEDED(hr)) {
        f->buf = malloc(TFILE_BUFFER_SIZE); /* without it, every write goes straight to the file */
        f->pending = 0;
    }
    return hr;
}

/* Writes the buffered bytes out. After a failure they are dropped: never written twice. */
hr_t tfile_write_out(tfile_t *f, char *detail, size_t size)
{
    size_t n = f->pending;
    f->pending = 0;
    return n ? os_write(f, f->buf, n, detail, size) : HR_OK;
}

hr_t tfile_write(tfile_t *f, const void *buf, size_t len, char *detail, size_t size)
{
    if (f->buf && len <= TFILE_BUFFER_SIZE - f->pending) {
        memcpy(f->buf + f->pending, buf, len);
        f->pending += len;
        return HR_OK;
    }
    hr_t hr = tfile_write_out(f, detail, size);
    if (HR_FAILED(hr))
        return hr;
    if (!f->buf || len >= TFILE_BUFFER_SIZE)
        return os_write(f, buf, len, detail, size);
    memcpy(f->buf, buf, len);
    f->pending = len;
    return HR_OK;
}

hr_t tfile_seek(tfile_t *f, uint64_t offset, char *detail, size_t size)
{
    hr_t hr = tfile_write_out(f, detail, size);
    return HR_FAILED(hr) ? hr : os_seek(f, offset, detail, size);
}

hr_t tfile_sync(tfile_t *f, char *detail, size_t size)
{
    hr_t hr = tfile_write_out(f, detail, size);
    return HR_FAILED(hr) ? hr : os_sync(f, detail, size);
}

hr_t tfile_truncate(tfile_t *f, uint64_t length, char *detail, size_t size)
{
    hr_t hr = tfile_write_out(f, detail, size);
    return HR_FAILED(hr) ? hr : os_truncate(f, length, detail, size);
}

hr_t tfile_size(tfile_t *f, uint64_t *length, char *detail, size_t size)
{
    hr_t hr = tfile_write_out(f, detail, size);
    return HR_FAILED(hr) ? hr : os_size(f, length, detail, size);
}

/* Writes what is still buffered (best effort: nothing reported durable depends on it). */
void tfile_close(tfile_t *f)
{
    char detail[8];
    if (f->open)
        tfile_write_out(f, detail, sizeof detail);
    os_close(f);
    free(f->buf);
    f->buf = NULL;
    f->pending = 0;
}
