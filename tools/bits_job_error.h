/* tools/bits_job_error.h: the one helper the BITS clients of tools/ (dodemo, bench_client) share,
 * included by their single source file: a job's error as IBackgroundCopyError tells it. Needs
 * <windows.h>, <bits.h> (with COBJMACROS), <stdio.h> and <wchar.h> first. */
#ifndef OPENDO_TOOLS_BITS_JOB_ERROR_H
#define OPENDO_TOOLS_BITS_JOB_ERROR_H

/* Prints "<prefix>error 0x... (context N): description" to out; nothing when the job has no
 * error object. */
static void print_job_error(FILE *out, const wchar_t *prefix, IBackgroundCopyJob *job)
{
    IBackgroundCopyError *error = NULL;
    BG_ERROR_CONTEXT context;
    HRESULT code;
    LPWSTR text = NULL;
    if (FAILED(IBackgroundCopyJob_GetError(job, &error)))
        return;
    if (SUCCEEDED(IBackgroundCopyError_GetError(error, &context, &code)) &&
        SUCCEEDED(IBackgroundCopyError_GetErrorDescription(error, 0, &text)))
        fwprintf(out, L"%lserror 0x%08lx (context %d): %ls\n", prefix, (unsigned long)code,
                 (int)context, text);
    CoTaskMemFree(text);
    IBackgroundCopyError_Release(error);
}

#endif
