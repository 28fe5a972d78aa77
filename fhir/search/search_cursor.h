// Opaque cursors for keyset paging of searches (the `_cursor` of next/previous links).
//
// A cursor names a position in a search's order (registry/search_query.h SearchCursor: the sort key
// and id of the row next to it) and the search it belongs to, as a fingerprint of the search's
// canonical parameters other than `_count` (so a client may change the page size, never the
// criteria, order or includes). It is base64url text: opaque to clients, but not secret and not
// signed — a forged cursor can only move within the same search.
#pragma once

#include <string>

#include "fhir/http/http.h"
#include "registry/result.h"
#include "registry/search_query.h"

namespace nara::fhir {

// A stable hash (FNV-1a, 64 bits, hex) of the canonical parameters except `_count`.
std::string SearchFingerprint(const QueryParams& canonical);

std::string EncodeCursor(const SearchCursor& cursor, const std::string& fingerprint);

// Errors (invalid, 400): not a cursor of this server, or one of another search, or a key that is
// not of the search's order (`order`: SearchCursor says which keys each order has).
Result<SearchCursor> DecodeCursor(const std::string& token, const std::string& fingerprint, SortKey order);

}  // namespace nara::fhir
