// Small libpqxx helpers shared by the adapter's files. Internal to pg (includes pqxx).
#pragma once

#include <cstddef>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

namespace nara::pg {

// A text[] column as strings (NULL elements do not occur: the adapter's arrays hold ids).
inline std::vector<std::string> TextArray(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  auto parser = f.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done; item = parser.get_next()) {
    if (item.first == pqxx::array_parser::string_value) out.push_back(std::move(item.second));
  }
  return out;
}

// A text[] literal for one bind parameter: every element double-quoted with `"` and `\` escaped, so
// any value (commas, braces, quotes, the word NULL, spaces, "" for empty) arrives as itself. One
// parameter whatever the length, so the SQL text around it stays fixed (and preparable).
inline std::string TextArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (const char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// Rows sent column by column (one fixed statement text whatever the number of rows): each column as
// one text[] literal, in order; in the SQL, TextArrayParams(first, N) names them.
template <size_t N>
std::vector<std::string> TextArrayLiterals(const std::vector<std::string> (&columns)[N]) {
  std::vector<std::string> params;
  params.reserve(N);
  for (const auto& column : columns) params.push_back(TextArrayLiteral(column));
  return params;
}

// "$first::text[], ..., $(first+n-1)::text[]": n columns sent by TextArrayLiterals, as unnest's
// arguments. Numbered from `first`, so several statements can share one round trip
// (pg/internal/write_together.h).
inline std::string TextArrayParams(int first, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? ", $" : "$") + std::to_string(first + i) + "::text[]";
  return out;
}

// SQL for `column` (a timestamptz) as the text FHIR writes an instant in: RFC 3339, UTC, milliseconds
// (what lastUpdated and the registry's own instants are answered as).
inline std::string Rfc3339Sql(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

// Runs a fixed SQL text as a named prepared statement, so PostgreSQL parses and plans it once per
// connection instead of on every call (a read's statements spent more time in the planner than in
// execution). Declaring is client-side and lazy in libpqxx 6.4: the first use on a connection
// prepares it on the server, and declaring the same name with the same text again is a no-op. sql
// must be a constant: one name, one text.
template <typename... Args>
pqxx::result ExecPrepared(pqxx::transaction_base& tx, const char* name, const char* sql, Args&&... args) {
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace nara::pg
