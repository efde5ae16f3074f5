#!/usr/bin/env bash
# The file objects end to end: files added every way the API offers (AddFile, AddFileSet,
# AddFileWithRanges, IDeliveryOptimizationJob2::AddFile), EnumFiles, every method of
# IBackgroundCopyFile..File5, IDeliveryOptimizationFile and IDeliveryOptimizationFile2, and the
# values still there after sc stop / sc start.
. "$(dirname "$0")/lib.sh"

files_exe="$top/build/win/tests/files_client.exe"
files_client() { wine "$files_exe" "$@" </dev/null 2>/dev/null | tr -d '\r'; return "${PIPESTATUS[0]}"; }

mkdir -p "$WINEPREFIX/drive_c/opendo-tests/files"
dir='C:\opendo-tests\files'

out=$(files_client setup "$dir")
status=$?
printf '%s\n' "$out" | grep -v '^JOB '
job=$(printf '%s\n' "$out" | awk '/^JOB / {print $2}')
check "files: setup ran to the end and printed the job id" [ -n "$job" ]
[ "$status" -eq 0 ] || e2e_failures=$((e2e_failures + 1))

service_stop
check "files: sc stop DoSvc stops the service" [ "$(service_state)" = STOPPED ]
check "files: sc start DoSvc starts it again" service_start
if [ -n "$job" ]; then
    files_client verify "$job" "$dir"
    [ "$?" -eq 0 ] || e2e_failures=$((e2e_failures + 1))
fi
e2e_exit
