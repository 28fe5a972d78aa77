// Small libpqxx helpers shared by the adapter's files. Internal to registry/pg (includes pqxx).
#pragma once

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

// Runs a statement whose text never changes as a prepared statement of the connection, so PostgreSQL
// parses it once per connection instead of on every call, and plans it once when its generic plan
// serves (bench/change_listing.sh). libpqxx keeps the definition per connection (defining it again
// with the same text is a no-op) and registers it with the server on first use, again after a
// reconnect. One name, one text: a name reused for other SQL throws.
template <typename... Args>
pqxx::result ExecPrepared(pqxx::transaction_base& tx, const std::string& name, const std::string& sql,
                          Args&&... args) {
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace nara::pg
