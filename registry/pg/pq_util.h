// Small libpqxx helpers shared by the adapter's files. Internal to registry/pg (includes pqxx).
#pragma once

#include <pqxx/pqxx>
#include <string>
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

}  // namespace nara::pg
