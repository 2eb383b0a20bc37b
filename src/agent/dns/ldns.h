// Includes ldns for C++ code. ldns/common.h #defines bool, true and false unless <stdbool.h> came
// first, which breaks later standard headers (e.g. <optional>'s operator<=>); include this
// instead of <ldns/ldns.h>. Thread-safety, ownership, failure: as ldns itself (C API; callers
// free what ldns allocates).
#ifndef SKIFF_AGENT_DNS_LDNS_H_
#define SKIFF_AGENT_DNS_LDNS_H_

#include <stdbool.h>

// Must follow <stdbool.h> (see above).
#include <ldns/ldns.h>

#endif  // SKIFF_AGENT_DNS_LDNS_H_
