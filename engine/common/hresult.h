/* HRESULT values used by the portable core. The core returns the same 32-bit codes the COM
 * layer hands to clients, without including Windows headers. */
#ifndef OPENDO_HRESULT_H
#define OPENDO_HRESULT_H

#include <stdint.h>
#include "doerrors.h"

typedef int32_t hr_t;

#define HR_OK            ((hr_t)0x00000000)
#define HR_FALSE         ((hr_t)0x00000001)
#define HR_E_NOTIMPL     ((hr_t)0x80004001)
#define HR_E_POINTER     ((hr_t)0x80004003)
#define HR_E_FAIL        ((hr_t)0x80004005)
#define HR_E_ACCESSDENIED ((hr_t)0x80070005)
#define HR_E_OUTOFMEMORY ((hr_t)0x8007000E)
#define HR_E_INVALIDARG  ((hr_t)0x80070057)

#define HR_SUCCEEDED(hr) ((hr_t)(hr) >= 0)
#define HR_FAILED(hr) ((hr_t)(hr) < 0)

#endif
