/* dosvc.exe: the opendo Delivery Optimization service.
 *   dosvc               run under the service control manager (service name DoSvc)
 *   dosvc install       create the service and register the COM class + proxy/stub
 *   dosvc uninstall     stop and delete the service, remove the registration
 *   dosvc console       run the same server in the foreground (debugging) */
#include <stdio.h>
#include <wchar.h>

#include "dosvc.h"

int wmain(int argc, wchar_t **argv)
{
    if (argc < 2)
        return service_dispatch();
    if (!wcscmp(argv[1], L"install"))
        return registration_install();
    if (!wcscmp(argv[1], L"uninstall"))
        return registration_uninstall();
    if (!wcscmp(argv[1], L"console"))
        return service_run_console();
    fprintf(stderr, "usage: dosvc [install | uninstall | console]\n");
    return 2;
}
