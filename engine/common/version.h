/* opendo's version: the service, the proxy/stub and doadmin report it (doadmin /util /version),
 * the HTTP User-Agent carries it, and the Windows binaries' VERSIONINFO resources hold it. Plain
 * #defines only: windres reads this file too. */
#ifndef OPENDO_VERSION_H
#define OPENDO_VERSION_H

#define OPENDO_VERSION_MAJOR 0
#define OPENDO_VERSION_MINOR 9
#define OPENDO_VERSION_PATCH 0
#define OPENDO_VERSION "0.9.0"

#endif
